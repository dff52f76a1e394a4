import Foundation

/// A linear probe on frozen embeddings: multinomial (softmax) logistic regression with an L2
/// penalty on the weights, as scikit-learn's `LogisticRegression(C=1)` (lbfgs, multinomial):
///
///     minimise  (1/n) Σᵢ −log softmax(W xᵢ + b)[yᵢ]  +  ‖W‖² / (2·C·n)
///
/// (sklearn's C·Σ loss + ½‖W‖², divided by C·n; the bias is not penalised). Trained with
/// L-BFGS in Double until the gradient's largest entry is below `tolerance`: deterministic
/// (fixed order, no randomness, no threads). Softmax ignores a constant added to every bias,
/// so the bias is reported centred (Σ b = 0), which makes the optimum unique. `Codable` so a
/// caller can cache a trained probe as JSON.
public struct LinearProbe: Codable, Sendable, Equatable {
    public var classes: Int
    public var features: Int
    /// [classes × features], row-major.
    public var weights: [Double]
    public var bias: [Double]
    public var c: Double
    /// L-BFGS iterations taken, and whether the gradient tolerance was reached within them.
    public var iterations: Int
    public var converged: Bool
    /// The objective at the returned weights.
    public var loss: Double

    public init(classes: Int, features: Int, weights: [Double], bias: [Double], c: Double = 1,
                iterations: Int = 0, converged: Bool = true, loss: Double = .nan) {
        precondition(weights.count == classes * features && bias.count == classes, "probe weights do not match \(classes)×\(features)")
        self.classes = classes
        self.features = features
        self.weights = weights
        self.bias = bias
        self.c = c
        self.iterations = iterations
        self.converged = converged
        self.loss = loss
    }

    /// Fits the probe to `embeddings` (rows of equal width) with `labels` in 0..<classes.
    public static func train(embeddings: [[Float]], labels: [Int], classes: Int, c: Double = 1,
                             tolerance: Double = 1e-6, maxIterations: Int = 1000) -> LinearProbe {
        precondition(!embeddings.isEmpty && embeddings.count == labels.count, "\(embeddings.count) embeddings for \(labels.count) labels")
        precondition(classes >= 1 && labels.allSatisfy { (0..<classes).contains($0) }, "labels must lie in 0..<\(classes)")
        precondition(c > 0, "C must be positive")
        let problem = ProbeObjective(embeddings: embeddings, labels: labels, classes: classes, c: c)
        var result = LBFGS.minimise(problem.evaluate, start: [Double](repeating: 0, count: problem.parameterCount),
                                    tolerance: tolerance, maxIterations: maxIterations)
        let k = classes, d = problem.features
        var bias = Array(result.x[(k * d)...])
        let mean = bias.reduce(0, +) / Double(k)
        for j in bias.indices { bias[j] -= mean }
        result.x.removeLast(k)
        return LinearProbe(classes: k, features: d, weights: result.x, bias: bias, c: c,
                           iterations: result.iterations, converged: result.converged, loss: result.value)
    }

    /// W x + b for one embedding.
    public func logits(_ x: [Float]) -> [Double] {
        precondition(x.count == features, "an embedding of \(x.count) values for a probe of \(features)")
        let xd = x.map(Double.init)
        return (0..<classes).map { k in bias[k] + weights.withUnsafeBufferPointer { w in
            xd.withUnsafeBufferPointer { dot(w.baseAddress! + k * features, $0.baseAddress!, features) }
        } }
    }

    /// The most likely class of each embedding (the first on ties).
    public func predict(_ embeddings: [[Float]]) -> [Int] {
        embeddings.map { x in
            let z = logits(x)
            return z.indices.max { z[$0] < z[$1] || (z[$0] == z[$1] && $0 > $1) }!
        }
    }

    /// The fraction of embeddings whose predicted class is their label.
    public func accuracy(_ embeddings: [[Float]], labels: [Int]) -> Double {
        precondition(embeddings.count == labels.count && !labels.isEmpty, "\(embeddings.count) embeddings for \(labels.count) labels")
        return Double(zip(predict(embeddings), labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
}

/// The probe's objective and gradient over θ = [W row-major, b].
struct ProbeObjective {
    let x: [Double]        // [n × features]
    let labels: [Int]
    let n: Int, features: Int, classes: Int
    let c: Double

    init(embeddings: [[Float]], labels: [Int], classes: Int, c: Double) {
        let d = embeddings[0].count
        precondition(embeddings.allSatisfy { $0.count == d }, "embeddings must all have the same width")
        var x: [Double] = []
        x.reserveCapacity(embeddings.count * d)
        for row in embeddings { for v in row { x.append(Double(v)) } }
        self.x = x
        self.labels = labels
        self.n = embeddings.count
        self.features = d
        self.classes = classes
        self.c = c
    }

    var parameterCount: Int { classes * (features + 1) }

    func evaluate(_ theta: [Double], _ gradient: inout [Double]) -> Double {
        let k = classes, d = features
        for j in gradient.indices { gradient[j] = 0 }
        var loss = 0.0
        var z = [Double](repeating: 0, count: k)
        theta.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xs in
                gradient.withUnsafeMutableBufferPointer { g in
                    let w = t.baseAddress!, gw = g.baseAddress!
                    for i in 0..<n {
                        let row = xs.baseAddress! + i * d
                        var m = -Double.infinity
                        for j in 0..<k { z[j] = t[k * d + j] + dot(w + j * d, row, d); m = max(m, z[j]) }
                        var sum = 0.0
                        for j in 0..<k { sum += exp(z[j] - m) }
                        let logZ = m + log(sum)
                        loss += logZ - z[labels[i]]
                        for j in 0..<k {
                            let r = exp(z[j] - logZ) - (j == labels[i] ? 1 : 0)
                            axpy(r, row, gw + j * d, d)
                            g[k * d + j] += r
                        }
                    }
                }
            }
        }
        let scale = 1 / Double(n), penalty = 1 / (c * Double(n))
        var squared = 0.0
        for j in 0..<(k * d) {
            squared += theta[j] * theta[j]
            gradient[j] = gradient[j] * scale + penalty * theta[j]
        }
        for j in (k * d)..<gradient.count { gradient[j] *= scale }
        return loss * scale + 0.5 * penalty * squared
    }
}

/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4: the two-loop recursion, 10 pairs)
/// with a backtracking Armijo line search; deterministic.
enum LBFGS {
    struct Result { var x: [Double]; var value: Double; var iterations: Int; var converged: Bool }

    static func minimise(_ f: ([Double], inout [Double]) -> Double, start: [Double], tolerance: Double,
                         maxIterations: Int, memory: Int = 10) -> Result {
        var x = start
        var g = [Double](repeating: 0, count: x.count)
        var value = f(x, &g)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var iteration = 0
        var trial = x, trialGradient = g
        while iteration < maxIterations {
            if maxAbs(g) <= tolerance { return Result(x: x, value: value, iterations: iteration, converged: true) }
            iteration += 1
            // Direction: −H g by the two-loop recursion.
            var q = g
            var alpha = [Double](repeating: 0, count: s.count)
            for i in s.indices.reversed() {
                alpha[i] = rho[i] * dotArrays(s[i], q)
                for j in q.indices { q[j] -= alpha[i] * y[i][j] }
            }
            if let lastS = s.last, let lastY = y.last {
                let gamma = dotArrays(lastS, lastY) / dotArrays(lastY, lastY)
                for j in q.indices { q[j] *= gamma }
            } else {
                let norm = dotArrays(g, g).squareRoot()
                for j in q.indices { q[j] /= max(norm, 1) }   // a cautious first step
            }
            for i in s.indices {
                let beta = rho[i] * dotArrays(y[i], q)
                for j in q.indices { q[j] += (alpha[i] - beta) * s[i][j] }
            }
            var slope = -dotArrays(g, q)    // directional derivative along −q
            if slope >= 0 {                 // not a descent direction: restart from steepest descent
                s = []; y = []; rho = []
                q = g
                slope = -dotArrays(g, g)
            }
            // Backtracking: the first step length with sufficient decrease.
            var step = 1.0, accepted = false, trialValue = value
            for _ in 0..<60 {
                for j in x.indices { trial[j] = x[j] - step * q[j] }
                trialValue = f(trial, &trialGradient)
                if trialValue <= value + 1e-4 * step * slope { accepted = true; break }
                // Near the optimum the decrease falls below Double's resolution of the value;
                // then a step that keeps the value (to rounding) and shrinks the gradient is
                // progress (Hager & Zhang's approximate Wolfe condition).
                if trialValue <= value + 1e-14 * abs(value) && maxAbs(trialGradient) < maxAbs(g) { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { return Result(x: x, value: value, iterations: iteration, converged: false) }
            var sNew = [Double](repeating: 0, count: x.count), yNew = sNew
            for j in x.indices { sNew[j] = trial[j] - x[j]; yNew[j] = trialGradient[j] - g[j] }
            let sy = dotArrays(sNew, yNew)
            if sy > 1e-12 * dotArrays(yNew, yNew).squareRoot() * dotArrays(sNew, sNew).squareRoot() {
                s.append(sNew); y.append(yNew); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            swap(&x, &trial); swap(&g, &trialGradient)
            value = trialValue
        }
        let converged = maxAbs(g) <= tolerance
        return Result(x: x, value: value, iterations: iteration, converged: converged)
    }

    static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

    static func dotArrays(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { p in b.withUnsafeBufferPointer { dot(p.baseAddress!, $0.baseAddress!, a.count) } }
    }
}

/// Σ a[i]·b[i] over n Doubles, four SIMD lanes at a time.
@inline(__always)
fileprivate func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var acc = SIMD4<Double>(repeating: 0), i = 0
    while i + 4 <= n {
        acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD4<Double>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD4<Double>.self)
        i += 4
    }
    var total = acc.sum()
    while i < n { total += a[i] * b[i]; i += 1 }
    return total
}

/// y += a·x over n Doubles.
@inline(__always)
fileprivate func axpy(_ a: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    let av = SIMD4<Double>(repeating: a)
    var i = 0
    while i + 4 <= n {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD4<Double>.self)
        let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD4<Double>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: yv + av * xv, as: SIMD4<Double>.self)
        i += 4
    }
    while i < n { y[i] += a * x[i]; i += 1 }
}
