import Foundation
import PareTensor

/// Token-level knowledge distillation of a decoder LM from a teacher's logits, per window of T
/// tokens (positions 0 … T−2, the ones that predict a next token; N = T − 1 of them):
///
///     L = α·T²·(1/N)·Σ_t KL_t + (1 − α)·(1/N)·Σ_t CE(y_{t+1}, s_t)
///
/// with p_t = softmax(teacher_t/T), q_t = softmax(s_t/T) and
/// - `forward`: KL_t = KL(p_t ‖ q_t) — Hinton's soft targets, the student covers the teacher's mass;
/// - `reverse`: KL_t = KL(q_t ‖ p_t) — MiniLLM's direction, the student seeks the teacher's modes.
///
/// The T² keeps the soft term's gradient on the scale of the hard one's as T changes. The
/// gradient with respect to the student logits s_t is
///
///     forward: α·T·(q_t − p_t)/N
///     reverse: α·T·q_t⊙(log q_t − log p_t − KL_t)/N
///     plus     (1 − α)·(softmax(s_t) − onehot(y_{t+1}))/N.
///
/// Computed in Double with log-sum-exp per row.
public struct DecoderDistillationLoss: Sendable, Equatable {
    public enum Divergence: String, Sendable, CaseIterable { case forward, reverse }

    public let temperature: Double
    public let alpha: Double
    public let divergence: Divergence

    public init(temperature: Double, alpha: Double, divergence: Divergence = .forward) {
        precondition(temperature > 0 && alpha >= 0 && alpha <= 1, "temperature > 0 and alpha in [0, 1] are the caller's to check")
        self.temperature = temperature
        self.alpha = alpha
        self.divergence = divergence
    }

    public struct Value: Sendable {
        /// The whole loss L.
        public var loss: Double
        /// (1/N)·Σ KL_t at temperature T (before α and T²).
        public var kl: Double
        /// (1/N)·Σ CE_t on the true next tokens.
        public var crossEntropy: Double
        /// ∂L/∂s, [T, vocab], zero on the last row.
        public var gradient: Tensor
    }

    /// The loss of student logits `student` [T, vocab] against `teacher` [T, vocab] (nil when
    /// α = 0: no teacher is needed) on the window `tokens`.
    public func evaluate(student: Tensor, teacher: Tensor?, tokens: [Int]) -> Value {
        let rows = student.rows, vocab = student.columns, n = rows - 1
        precondition(tokens.count == rows && n >= 1, "\(tokens.count) tokens for \(rows) rows of logits")
        precondition(alpha == 0 || teacher?.shape == student.shape, "teacher logits \(teacher?.shape ?? []) do not match the student's \(student.shape)")
        let t = temperature, scale = 1 / Double(n)
        var gradient = Tensor(zeros: student.shape)
        var klSum = 0.0, ceSum = 0.0
        var logQ = [Double](repeating: 0, count: vocab), logP = [Double](repeating: 0, count: vocab)
        var plain = [Double](repeating: 0, count: vocab), teacherRow = [Double](repeating: 0, count: vocab)
        student.data.withUnsafeBufferPointer { s in
            for r in 0..<n {
                let row = r * vocab
                for j in 0..<vocab { plain[j] = Double(s[row + j]) }
                Self.logSoftmax(plain, scale: 1, into: &logQ)
                let target = tokens[r + 1]
                ceSum -= logQ[target]
                let hard = (1 - alpha) * scale
                for j in 0..<vocab { gradient.data[row + j] = Float(hard * exp(logQ[j])) }
                gradient.data[row + target] -= Float(hard)
                guard alpha > 0, let teacher else { continue }
                Self.logSoftmax(plain, scale: 1 / t, into: &logQ)
                teacher.data.withUnsafeBufferPointer { tb in
                    for j in 0..<vocab { teacherRow[j] = Double(tb[row + j]) }
                }
                Self.logSoftmax(teacherRow, scale: 1 / t, into: &logP)
                let soft = alpha * t * scale
                switch divergence {
                case .forward:
                    var kl = 0.0
                    for j in 0..<vocab {
                        let p = exp(logP[j])
                        if p > 0 { kl += p * (logP[j] - logQ[j]) }
                        gradient.data[row + j] += Float(soft * (exp(logQ[j]) - p))
                    }
                    klSum += kl
                case .reverse:
                    var kl = 0.0
                    for j in 0..<vocab {
                        let q = exp(logQ[j])
                        if q > 0 { kl += q * (logQ[j] - logP[j]) }
                    }
                    for j in 0..<vocab {
                        let q = exp(logQ[j])
                        if q > 0 { gradient.data[row + j] += Float(soft * q * (logQ[j] - logP[j] - kl)) }
                    }
                    klSum += kl
                }
            }
        }
        let kl = klSum * scale, ce = ceSum * scale
        return Value(loss: alpha * t * t * kl + (1 - alpha) * ce, kl: kl, crossEntropy: ce, gradient: gradient)
    }

    /// log softmax(z·scale), stable.
    static func logSoftmax(_ z: [Double], scale: Double, into out: inout [Double]) {
        var peak = -Double.infinity
        for v in z { peak = max(peak, v * scale) }
        var sum = 0.0
        for v in z { sum += exp(v * scale - peak) }
        let shift = peak + log(sum)
        for j in z.indices { out[j] = z[j] * scale - shift }
    }
}

extension CausalDecoder {
    /// The logits [T, vocab] of a window and the outputs [T, hidden] of the blocks in `blocks`
    /// (what a teacher gives hidden-state matching), in one forward pass.
    public func logitsAndBlockOutputs(tokens: [Int], blocks: Set<Int>) throws -> (logits: Tensor, outputs: [Int: Tensor]) {
        guard !tokens.isEmpty else { throw TransformerError.emptyInput("the decoder") }
        let table = rotary.table(positions: Array(0..<tokens.count))
        var x = try embedTokens(tokens)
        var outputs: [Int: Tensor] = [:]
        for i in layers.indices {
            var none: LayerKVCache? = nil
            x = layers[i](x, rotary: table, cache: &none, observer: nil)
            if blocks.contains(i) { outputs[i] = x }
        }
        return (lmHead(norm(x), observer: nil), outputs)
    }
}
