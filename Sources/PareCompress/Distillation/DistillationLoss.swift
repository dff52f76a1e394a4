import Foundation
import PareTensor

/// Hinton's knowledge-distillation loss on a batch of B student logits s [B, C]:
///
///     L = α·T²·KL(q ‖ softmax(s/T)) + (1 − α)·CE(y, s)
///
/// where q is the teacher's softened distribution, softmax(t/T) for teacher logits t. The KL is
/// summed over the classes and averaged over the batch (PyTorch's `reduction="batchmean"`, the
/// mathematically correct KL; an elementwise mean would silently divide it by C as well), and
/// the cross-entropy with the true labels y is averaged over the batch. The T² keeps the soft
/// term's gradient on the same scale as the hard term's when T changes.
///
/// The exact gradient with respect to the student logits is
///
///     ∂L/∂s = α·T·(softmax(s/T) − q)/B + (1 − α)·(softmax(s) − onehot(y))/B.
///
/// Everything is computed in Double with log-sum-exp, so large logits and zero
/// probabilities in q (0·log 0 = 0) are fine.
public struct DistillationLoss: Sendable, Equatable {
    public let temperature: Double
    public let alpha: Double

    /// Throws `ConfigError` for temperature ≤ 0 (or not finite) or alpha outside [0, 1].
    public init(temperature: Double, alpha: Double) throws {
        guard temperature.isFinite && temperature > 0 else {
            throw ConfigError("distill: temperature=\(temperature) is out of range; it must be greater than 0.")
        }
        guard alpha.isFinite && alpha >= 0 && alpha <= 1 else {
            throw ConfigError("distill: alpha=\(alpha) is out of range; it must be in [0, 1].")
        }
        self.temperature = temperature
        self.alpha = alpha
    }

    /// Loss and ∂L/∂s, the teacher given by its logits t [B, C].
    public func lossAndGradient(student: Tensor, teacherLogits: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        precondition(teacherLogits.shape == student.shape,
                     "teacher logits \(teacherLogits.shape) and student logits \(student.shape) differ")
        return lossAndGradient(student: student, softTargets: Self.softmax(teacherLogits, temperature: temperature), labels: labels)
    }

    /// Loss and ∂L/∂s, the teacher given by probabilities p [B, C] at temperature 1 (a
    /// black-box teacher answering `probs`); they are softened to temperature T exactly as
    /// softmax(t/T) would be: q ∝ p^(1/T).
    public func lossAndGradient(student: Tensor, teacherProbabilities: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        lossAndGradient(student: student, softTargets: Self.soften(teacherProbabilities, temperature: temperature), labels: labels)
    }

    /// Loss and ∂L/∂s with hard pseudo-labels (a black-box teacher answering only `label`):
    /// q = onehot(teacher label), so the soft term is T²·CE(teacher label, s/T).
    public func lossAndGradient(student: Tensor, teacherLabels: [Int], labels: [Int]) -> (loss: Double, gradient: Tensor) {
        lossAndGradient(student: student, softTargets: Self.oneHot(teacherLabels, classes: student.columns), labels: labels)
    }

    /// The core: q [B, C] is already the soft target at this loss's temperature (e.g. an
    /// ensemble average from `Ensemble.softTargets`).
    public func lossAndGradient(student: Tensor, softTargets q: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        let b = student.rows, c = student.columns
        precondition(q.shape == [b, c], "soft targets \(q.shape) do not match student logits \(student.shape)")
        precondition(labels.count == b, "\(labels.count) labels for a batch of \(b)")
        let t = temperature
        var loss = 0.0
        var gradient = Tensor(zeros: [b, c])
        var scaled = [Double](repeating: 0, count: c)
        var plain = [Double](repeating: 0, count: c)
        for row in 0..<b {
            for j in 0..<c {
                plain[j] = Double(student.data[row * c + j])
                scaled[j] = plain[j] / t
            }
            let logSoft = Self.logSoftmax(scaled)
            let logHard = Self.logSoftmax(plain)
            var kl = 0.0
            for j in 0..<c {
                let target = Double(q.data[row * c + j])
                if target > 0 { kl += target * (log(target) - logSoft[j]) }
            }
            let y = labels[row]
            precondition(y >= 0 && y < c, "label \(y) outside 0..<\(c)")
            let ce = -logHard[y]
            loss += alpha * t * t * kl + (1 - alpha) * ce
            for j in 0..<c {
                let soft = alpha * t * (exp(logSoft[j]) - Double(q.data[row * c + j]))
                let hard = (1 - alpha) * (exp(logHard[j]) - (j == y ? 1 : 0))
                gradient.data[row * c + j] = Float((soft + hard) / Double(b))
            }
        }
        return (loss / Double(b), gradient)
    }

    // MARK: - Distributions

    /// softmax(x/T) per row, [B, C].
    public static func softmax(_ logits: Tensor, temperature: Double = 1) -> Tensor {
        let c = logits.columns
        var out = Tensor(zeros: logits.shape)
        for row in 0..<logits.rows {
            let z = (0..<c).map { Double(logits.data[row * c + $0]) / temperature }
            let l = logSoftmax(z)
            for j in 0..<c { out.data[row * c + j] = Float(exp(l[j])) }
        }
        return out
    }

    /// Probabilities at temperature 1 softened to temperature T: q ∝ p^(1/T) per row
    /// (= softmax(t/T) when p = softmax(t)). Negative entries are treated as 0.
    public static func soften(_ probabilities: Tensor, temperature: Double) -> Tensor {
        let c = probabilities.columns
        var out = Tensor(zeros: probabilities.shape)
        for row in 0..<probabilities.rows {
            // In logs, relative to the row's largest entry, so tiny probabilities do not underflow.
            let logs = (0..<c).map { j -> Double in
                let p = Double(probabilities.data[row * c + j])
                return p > 0 ? log(p) / temperature : -.infinity
            }
            let l = logSoftmax(logs)
            for j in 0..<c { out.data[row * c + j] = Float(exp(l[j])) }
        }
        return out
    }

    /// One-hot rows [B, classes].
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var out = Tensor(zeros: [labels.count, classes])
        for (row, y) in labels.enumerated() {
            precondition(y >= 0 && y < classes, "label \(y) outside 0..<\(classes)")
            out.data[row * classes + y] = 1
        }
        return out
    }

    /// Mean softmax cross-entropy of logits [B, C] against labels (the α = 0 loss).
    public static func crossEntropy(_ logits: Tensor, labels: [Int]) -> Double {
        let c = logits.columns
        var total = 0.0
        for row in 0..<logits.rows {
            let l = logSoftmax((0..<c).map { Double(logits.data[row * c + $0]) })
            total -= l[labels[row]]
        }
        return total / Double(logits.rows)
    }

    /// log-softmax of one row, stable (−∞ entries stay −∞; an all −∞ row gives a uniform one).
    static func logSoftmax(_ z: [Double]) -> [Double] {
        let top = z.max() ?? 0
        guard top.isFinite else { return z.map { _ in -log(Double(z.count)) } }
        let sum = z.reduce(0) { $0 + exp($1 - top) }
        let shift = top + log(sum)
        return z.map { $0 - shift }
    }
}

/// How several teachers' softened distributions are combined into one soft target.
public enum EnsembleMode: String, CaseIterable, Sendable, Codable {
    /// The mean of the distributions (the default).
    case arithmetic
    /// The normalized geometric mean: q ∝ (Π q_i)^(1/n) (a class every teacher rules out stays 0).
    case geometric
}

public enum Ensemble {
    /// The soft target of an ensemble: each tensor is one teacher's softened distribution
    /// [B, C]. A row whose geometric mean is zero everywhere (the teachers' supports do not
    /// overlap) falls back to the arithmetic mean for that row.
    public static func softTargets(_ distributions: [Tensor], mode: EnsembleMode = .arithmetic) -> Tensor {
        precondition(!distributions.isEmpty, "an ensemble needs at least one teacher")
        let shape = distributions[0].shape
        precondition(distributions.allSatisfy { $0.shape == shape }, "ensemble members' outputs differ in shape")
        let n = Double(distributions.count)
        let c = distributions[0].columns
        var out = Tensor(zeros: shape)
        for row in 0..<distributions[0].rows {
            var arithmetic = [Double](repeating: 0, count: c)
            var geometric = [Double](repeating: 0, count: c)
            for j in 0..<c {
                var sum = 0.0, logSum = 0.0
                for d in distributions {
                    let p = Double(d.data[row * c + j])
                    sum += p
                    logSum += p > 0 ? log(p) : -.infinity
                }
                arithmetic[j] = sum / n
                geometric[j] = exp(logSum / n)
            }
            var chosen = arithmetic
            if mode == .geometric {
                let total = geometric.reduce(0, +)
                if total > 0 { chosen = geometric.map { $0 / total } }
            }
            for j in 0..<c { out.data[row * c + j] = Float(chosen[j]) }
        }
        return out
    }
}
