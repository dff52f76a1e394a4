import Foundation

/// Adam as `torch.optim.Adam` computes it (single-tensor CPU path, bias-corrected, `weight_decay`
/// as an L2 term added to the gradient — not AdamW), element for element in Float32:
///
///     g ← g + wd·p
///     m ← m + (1−β1)(g − m)                 (torch's lerp_)
///     v ← β2·v + (1−β2)·g·g
///     p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
public struct Adam: Sendable, Codable, Equatable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One update of `parameters` from `gradient`. Where `mask` is given (same count, 0/1), a
    /// masked entry's gradient is taken as 0 and the parameter is kept exactly 0.
    public func step(_ parameters: inout [Float], gradient: [Float], state: inout AdamState, mask: [Float]? = nil) {
        precondition(parameters.count == gradient.count && parameters.count == state.m.count,
                     "Adam: \(parameters.count) parameters, \(gradient.count) gradients, \(state.m.count) moments")
        precondition(mask == nil || mask!.count == parameters.count, "Adam: mask size differs from the parameters'")
        state.step += 1
        let t = Double(state.step)
        let bias1 = 1 - pow(beta1, t)
        let bias2Sqrt = (1 - pow(beta2, t)).squareRoot()
        let stepSize = Float(-(learningRate / bias1))
        let oneMinusBeta1 = Float(1 - beta1), beta2f = Float(beta2), oneMinusBeta2 = Float(1 - beta2)
        let eps = Float(epsilon), wd = Float(weightDecay), b2s = Float(bias2Sqrt)
        let n = parameters.count
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { gp in
                state.m.withUnsafeMutableBufferPointer { m in
                    state.v.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            var g = gp[i]
                            if let mask, mask[i] == 0 { g = 0 }
                            if wd != 0 { g = g + wd * p[i] }
                            m[i] = m[i] + oneMinusBeta1 * (g - m[i])
                            v[i] = v[i] * beta2f
                            v[i] = v[i] + oneMinusBeta2 * g * g
                            let denom = v[i].squareRoot() / b2s + eps
                            p[i] = p[i] + stepSize * m[i] / denom
                        }
                        if let mask {
                            for i in 0..<n where mask[i] == 0 { p[i] = 0 }
                        }
                    }
                }
            }
        }
    }
}

/// Adam's per-parameter-tensor state: first and second moments and the step count.
public struct AdamState: Sendable, Equatable {
    public var m: [Float]
    public var v: [Float]
    public var step: Int

    public init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
        step = 0
    }
}
