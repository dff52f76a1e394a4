import Foundation
import PareTensor

// Classification losses shared by training and distillation. Logits are [rows, classes];
// every reduction is a mean over rows, accumulated in Double, and log-sum-exp is taken after
// subtracting the row maximum, so large logits never overflow.

/// log softmax(z / T) per row.
public func logSoftmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    precondition(temperature > 0, "temperature must be positive, got \(temperature)")
    let (n, c) = (logits.rows, logits.columns)
    var out = Tensor(zeros: logits.shape)
    let invT = 1 / Double(temperature)
    logits.data.withUnsafeBufferPointer { z in
        out.data.withUnsafeMutableBufferPointer { o in
            for r in 0..<n {
                let row = z.baseAddress! + r * c
                var maximum = -Double.infinity
                for j in 0..<c { maximum = max(maximum, Double(row[j]) * invT) }
                var sum = 0.0
                for j in 0..<c { sum += exp(Double(row[j]) * invT - maximum) }
                let logZ = maximum + log(sum)
                for j in 0..<c { o[r * c + j] = Float(Double(row[j]) * invT - logZ) }
            }
        }
    }
    return out
}

/// softmax(z / T) per row.
public func softmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    var p = logSoftmax(logits, temperature: temperature)
    p.data.withUnsafeMutableBufferPointer { b in
        for i in b.indices { b[i] = Foundation.exp(b[i]) }
    }
    return p
}

/// Softmax cross-entropy against integer labels, averaged over rows (torch's
/// `F.cross_entropy(z, y)`), and its gradient d loss / d logits = (softmax(z) − onehot(y)) / rows.
public func crossEntropy(logits: Tensor, labels: [Int]) -> (loss: Double, dLogits: Tensor) {
    let (n, c) = (logits.rows, logits.columns)
    precondition(labels.count == n, "\(labels.count) labels for \(n) rows of logits")
    let logP = logSoftmax(logits)
    var grad = Tensor(zeros: logits.shape)
    var loss = 0.0
    let scale = 1 / Float(n)
    logP.data.withUnsafeBufferPointer { lp in
        grad.data.withUnsafeMutableBufferPointer { g in
            for r in 0..<n {
                let y = labels[r]
                precondition(y >= 0 && y < c, "label \(y) outside the \(c) classes of the logits")
                loss -= Double(lp[r * c + y])
                for j in 0..<c { g[r * c + j] = Foundation.exp(lp[r * c + j]) * scale }
                g[r * c + y] -= scale
            }
        }
    }
    return (loss / Double(n), grad)
}

/// Cross-entropy against soft targets (rows of probabilities): mean over rows of
/// −Σ_j p_j · log softmax(z / T)_j, with gradient (softmax(z / T) − p) / (T · rows).
public func crossEntropy(logits: Tensor, targets: Tensor, temperature: Float = 1) -> (loss: Double, dLogits: Tensor) {
    softTargetLoss(logits: logits, targets: targets, temperature: temperature, subtractEntropy: false)
}

/// KL(p ‖ softmax(z / T)) summed over classes and averaged over rows (torch's
/// `F.kl_div(log_softmax(z/T), p, reduction="batchmean")`), 0·log 0 taken as 0; the gradient
/// is the soft cross-entropy's, (softmax(z / T) − p) / (T · rows). Hinton's loss multiplies by T².
public func klDivergence(targets: Tensor, logits: Tensor, temperature: Float = 1) -> (loss: Double, dLogits: Tensor) {
    softTargetLoss(logits: logits, targets: targets, temperature: temperature, subtractEntropy: true)
}

private func softTargetLoss(logits: Tensor, targets: Tensor, temperature: Float, subtractEntropy: Bool) -> (loss: Double, dLogits: Tensor) {
    precondition(targets.shape == logits.shape, "targets \(targets.shape) do not match logits \(logits.shape)")
    let (n, c) = (logits.rows, logits.columns)
    let logQ = logSoftmax(logits, temperature: temperature)
    var grad = Tensor(zeros: logits.shape)
    var loss = 0.0
    let scale = 1 / (temperature * Float(n))
    logQ.data.withUnsafeBufferPointer { lq in
        targets.data.withUnsafeBufferPointer { p in
            grad.data.withUnsafeMutableBufferPointer { g in
                for i in 0..<(n * c) {
                    let pi = Double(p[i])
                    if pi > 0 {
                        loss -= pi * Double(lq[i])
                        if subtractEntropy { loss += pi * log(pi) }
                    }
                    g[i] = (Foundation.exp(lq[i]) - p[i]) * scale
                }
            }
        }
    }
    return (loss / Double(n), grad)
}

/// Index of the largest value in each row (the first one on ties), i.e. predicted classes.
public func argmaxRows(_ t: Tensor) -> [Int] {
    let (n, c) = (t.rows, t.columns)
    return t.data.withUnsafeBufferPointer { p in
        (0..<n).map { r in
            var best = 0
            for j in 1..<max(c, 1) where p[r * c + j] > p[r * c + best] { best = j }
            return best
        }
    }
}
