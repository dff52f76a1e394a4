import PareNN
import PareTensor

/// `prune-sparsegpt`: SparseGPT (Frantar & Alistarh, 2023). Per layer, H = XᵀX over the
/// calibration inputs (plus `damp` × mean(diag H) on the diagonal); columns are pruned left to
/// right in blocks of `blocksize`, and each pruned weight's error is spread over the remaining
/// columns of its row through the inverse Hessian — the optimal-brain-surgeon update — using the
/// upper Cholesky factor of H⁻¹, as the reference `fasterprune` does.
/// Masks: `amount=` unstructured, chosen adaptively per block by w²/[U]_jj² over the block's
/// weights (the budget spread so the layer's total is exactly round(amount · n)); or `n=`,`m=`
/// for N:M, chosen per group of m columns as the sweep reaches it. Needs `--calib`.
/// Layers are pruned in order, each calibrated on the outputs of the already pruned layers.
public struct SparseGPTPruning: CompressionMethod {
    public static let name = "prune-sparsegpt"
    public static let summary = "SparseGPT: prune with optimal-brain-surgeon updates through the inverse Hessian (needs --calib)."

    public enum Pattern: Sendable, Equatable {
        case unstructured(amount: Double)
        case nm(n: Int, m: Int)
    }

    public var pattern: Pattern
    public var blockSize: Int
    public var damp: Double
    public var layers: LayerSelection

    public init(pattern: Pattern = .unstructured(amount: 0.5), blockSize: Int = 128, damp: Double = 0.01,
                layers: LayerSelection = .init(names: nil)) {
        self.pattern = pattern
        self.blockSize = blockSize
        self.damp = damp
        self.layers = layers
    }

    public init(settings: Settings) throws {
        var s = settings
        if s.has("n") || s.has("m") {
            if s.has("amount") {
                throw ConfigError("\(Self.name) takes either amount= (unstructured) or n= and m= (N:M), not both.")
            }
            let n = try s.int("n", default: 2, valid: ("at least 1 (weights kept per group)", { $0 >= 1 }))!
            let m = try s.int("m", default: 4, valid: ("at least 1 (the group size)", { $0 >= 1 }))!
            try NMPruning.validate(n: n, m: m, method: Self.name)
            pattern = .nm(n: n, m: m)
        } else {
            pattern = .unstructured(amount: try Pruning.amount(&s)!)
        }
        blockSize = try s.int("blocksize", default: 128, valid: ("at least 1", { $0 >= 1 }))!
        damp = try s.double("damp", default: 0.01, valid: ("at least 0 (a fraction of the mean Hessian diagonal)", { $0 >= 0 }))!
        layers = LayerSelection(settings: &s)
        try s.finish()
        if case .nm(_, let m) = pattern, blockSize % m != 0 {
            throw ConfigError("\(Self.name): blocksize=\(blockSize) must be a multiple of m=\(m) so no N:M group straddles two blocks.")
        }
    }

    public var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = ["blocksize": .int(blockSize), "damp": .double(damp), "layers": .string(layers.recorded)]
        switch pattern {
        case .unstructured(let a): c["amount"] = .double(a)
        case .nm(let n, let m): c["n"] = .int(n); c["m"] = .int(m)
        }
        return c
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let selected = try layers.indices(in: model, method: Self.name)
        if case .nm(_, let m) = pattern { try NMPruning.checkWidths(model, selected, m: m, method: Self.name) }
        if model.isTransformer { return try compressTransformer(model, selected: selected, context: context) }
        let calibration = try Calibration.require(context, for: Self.name, model: model)
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: false)
        var current = model
        for i in current.layers.indices where selected.contains(i) {
            let layer = current.layers[i]
            // H of this layer's inputs as the already pruned layers before it compute them,
            // accumulated as the forward pass produces them.
            var hessian = HessianAccumulator(width: layer.inFeatures)
            Calibration.observe(layer: i, current, on: calibration.features) { hessian.add($0) }
            let pruned = try Self.prune(weight: layer.weight.decoded(), hessian: hessian.matrix, pattern: pattern,
                                        blockSize: blockSize, damp: damp, layerName: layer.name)
            current.layers[i] = LinearLayer(name: layer.name, weight: SparseEncoding.best(for: pruned), bias: layer.bias)
            context.progress(Double(i + 1) / Double(current.layers.count), "sparsegpt \(layer.name)")
        }
        let report = Pruning.report(current, layers: selected)
        return CompressionResult(model: current, notes: report.notes, extraMetrics: report.metrics)
    }

    /// H = XᵀX for inputs X [rows, in] (row-major [in, in], Double). The reference scales it by
    /// 2/rows; SparseGPT's updates and the relative damping do not depend on the scale.
    public static func hessian(_ x: Tensor) -> [Double] {
        var h = HessianAccumulator(width: x.columns)
        h.add(x)
        return h.matrix
    }

    /// Prunes one weight [out, in] given its Hessian [in, in]. `fixedMask` (true = prune), when
    /// given, replaces mask selection (as the reference's `mask` argument) — used to check the
    /// update itself against the closed form.
    public static func prune(weight: Tensor, hessian: [Double], pattern: Pattern, blockSize: Int = 128,
                             damp: Double = 0.01, fixedMask: [Bool]? = nil, layerName: String = "layer") throws -> Tensor {
        try prune(weight: weight, factor: try HessianFactor(hessian, columns: weight.columns, damp: damp, layerName: layerName),
                  pattern: pattern, blockSize: blockSize, fixedMask: fixedMask)
    }

    /// The dead inputs of a Hessian and the upper Cholesky factor U of (H + damp·mean(diag H)·I)⁻¹,
    /// computed once and shared by every layer reading the same input.
    public struct HessianFactor: Sendable {
        public let columns: Int
        public let dead: [Int]
        let u: [Double]

        public init(_ hessian: [Double], columns cols: Int, damp: Double, layerName: String) throws {
            precondition(hessian.count == cols * cols, "Hessian must be \(cols)×\(cols)")
            var hm = hessian
            // Inputs that never fire carry no information: their weights go, their diagonal becomes 1.
            let dead = (0..<cols).filter { hm[$0 * cols + $0] == 0 }
            for j in dead { hm[j * cols + j] = 1 }
            let meanDiagonal = (0..<cols).reduce(0.0) { $0 + hm[$1 * cols + $1] } / Double(max(cols, 1))
            for j in 0..<cols { hm[j * cols + j] += damp * meanDiagonal }
            guard let u = SymmetricMatrix.upperCholeskyOfInverse(hm, n: cols) else {
                throw ConfigError("\(SparseGPTPruning.name): the Hessian of \(layerName) is not positive definite; raise damp (now \(damp)) or use more calibration rows.")
            }
            (self.columns, self.dead, self.u) = (cols, dead, u)
        }
    }

    /// Prunes one weight [out, in] with a factored Hessian of its inputs.
    public static func prune(weight: Tensor, factor: HessianFactor, pattern: Pattern, blockSize: Int = 128,
                             fixedMask: [Bool]? = nil) throws -> Tensor {
        let rows = weight.rows, cols = weight.columns
        precondition(factor.columns == cols, "a Hessian factor of \(factor.columns) columns for a weight of \(cols)")
        var w = weight.data.map(Double.init)
        for j in factor.dead { for r in 0..<rows { w[r * cols + j] = 0 } }
        let u = factor.u

        let total = rows * cols
        var prune = [Bool](repeating: false, count: total)   // the chosen mask
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + blockSize, cols)
            let count = i2 - i1
            var err = [Double](repeating: 0, count: rows * count)
            // Unstructured: choose this block's mask up front by w² / U_jj².
            if fixedMask == nil, case .unstructured(let amount) = pattern {
                let before = Pruning.prunedCount(amount: amount, of: rows * i1)
                let after = Pruning.prunedCount(amount: amount, of: rows * i2)
                var scores = [Double](repeating: 0, count: rows * count)
                for r in 0..<rows {
                    for j in 0..<count {
                        let d = u[(i1 + j) * cols + i1 + j]
                        let v = w[r * cols + i1 + j]
                        scores[r * count + j] = v * v / (d * d)
                    }
                }
                let keep = Pruning.keepMask(scores: scores, pruning: after - before)
                for r in 0..<rows { for j in 0..<count where !keep[r * count + j] { prune[r * cols + i1 + j] = true } }
            }
            if let fixedMask {
                for r in 0..<rows { for j in i1..<i2 { prune[r * cols + j] = fixedMask[r * cols + j] } }
            }
            for j in 0..<count {
                let col = i1 + j
                // N:M: choose the group's mask when the sweep reaches its first column.
                if fixedMask == nil, case .nm(let n, let m) = pattern, j % m == 0 {
                    for r in 0..<rows {
                        let scores = (0..<m).map { t -> Double in
                            let d = u[(col + t) * cols + col + t]
                            let v = w[r * cols + col + t]
                            return v * v / (d * d)
                        }
                        let keep = Pruning.keepMask(scores: scores, pruning: m - n)
                        for t in 0..<m { prune[r * cols + col + t] = !keep[t] }
                    }
                }
                let d = u[col * cols + col]
                for r in 0..<rows where prune[r * cols + col] {
                    let e = w[r * cols + col] / d
                    err[r * count + j] = e
                    // Within the block: W[r, col…i2) -= e · U[col, col…i2); the pruned entry becomes 0.
                    w.withUnsafeMutableBufferPointer { wp in
                        u.withUnsafeBufferPointer { up in
                            SymmetricMatrix.subtractScaled(wp.baseAddress! + r * cols + col, up.baseAddress! + col * cols + col, e, i2 - col)
                        }
                    }
                    w[r * cols + col] = 0
                }
            }
            // The block's errors, through H⁻¹, onto every later column.
            if i2 < cols {
                w.withUnsafeMutableBufferPointer { wp in
                    u.withUnsafeBufferPointer { up in
                        for r in 0..<rows {
                            for j in 0..<count {
                                let e = err[r * count + j]
                                if e == 0 { continue }
                                SymmetricMatrix.subtractScaled(wp.baseAddress! + r * cols + i2, up.baseAddress! + (i1 + j) * cols + i2, e, cols - i2)
                            }
                        }
                    }
                }
            }
            i1 = i2
        }
        return Tensor(shape: weight.shape, data: w.map { Float($0) })
    }
}

/// H = XᵀX (Double) summed over input batches as a forward pass produces them, rows in order,
/// so the rows never need to be kept.
struct HessianAccumulator {
    let width: Int
    private var upper: [Double]

    init(width: Int) {
        self.width = width
        upper = [Double](repeating: 0, count: width * width)
    }

    /// Adds xᵀx for a batch x [rows, width] (the upper triangle; `matrix` mirrors it).
    mutating func add(_ x: Tensor) {
        precondition(x.columns == width, "inputs of width \(x.columns) for a Hessian of width \(width)")
        let n = width
        var row = [Double](repeating: 0, count: n)
        for r in 0..<x.rows {
            for j in 0..<n { row[j] = Double(x.data[r * n + j]) }
            for i in 0..<n where row[i] != 0 {
                let xi = row[i]
                for j in i..<n { upper[i * n + j] += xi * row[j] }
            }
        }
    }

    /// The symmetric H, row-major [width, width].
    var matrix: [Double] {
        var h = upper
        let n = width
        for i in 0..<n { for j in 0..<i { h[i * n + j] = h[j * n + i] } }
        return h
    }
}
