import Foundation
import PareTensor

/// The next-token loss of black-box distillation: cross-entropy counted on the response tokens
/// only (the prompt's tokens masked), each response part weighted as a whole.
///
/// For a sequence `prompt ‖ part₁ ‖ part₂ …` of T tokens, the target at position t is token
/// t + 1 and its weight is `wₖ / nₖ` when token t + 1 lies in part k (of nₖ tokens), 0 in the
/// prompt; the loss is Σₜ weightₜ · CEₜ. One part of weight 1 is the mean cross-entropy of
/// the response (instruction following); chain-of-thought's `rationale_weight · mean CE of the
/// rationale + mean CE of the answer` is two parts.
public enum ResponseLoss {
    /// The per-position weights [T − 1] of a sequence of `promptCount` prompt tokens followed by
    /// `parts` (token count, weight); a part of no tokens adds nothing.
    public static func weights(promptCount: Int, parts: [(count: Int, weight: Double)]) -> [Double] {
        let total = promptCount + parts.reduce(0) { $0 + $1.count }
        var w = [Double](repeating: 0, count: max(total - 1, 0))
        var start = promptCount
        for part in parts where part.count > 0 {
            for j in start..<(start + part.count) where j >= 1 { w[j - 1] = part.weight / Double(part.count) }
            start += part.count
        }
        return w
    }

    /// Σₜ weightₜ · CE(logits[t], tokens[t + 1]) and its gradient with respect to the logits
    /// [T, vocab] (weightₜ · (softmax − one-hot) on each row; rows of weight 0 get 0).
    public static func evaluate(logits: Tensor, tokens: [Int], weights: [Double]) -> (loss: Double, gradient: Tensor) {
        let v = logits.columns, rows = logits.rows
        precondition(weights.count == rows - 1 && tokens.count == rows, "weights for \(weights.count) targets, \(rows) logit rows")
        var gradient = [Float](repeating: 0, count: rows * v)
        var loss = 0.0
        logits.data.withUnsafeBufferPointer { z in
            for t in 0..<(rows - 1) where weights[t] != 0 {
                let row = z[(t * v)..<((t + 1) * v)]
                let peak = Double(row.max()!)
                var sum = 0.0
                for x in row { sum += exp(Double(x) - peak) }
                let logSum = log(sum) + peak
                let target = tokens[t + 1]
                loss += weights[t] * (logSum - Double(z[t * v + target]))
                for j in 0..<v {
                    gradient[t * v + j] = Float(weights[t] * exp(Double(z[t * v + j]) - logSum))
                }
                gradient[t * v + target] -= Float(weights[t])
            }
        }
        return (loss, Tensor(shape: [rows, v], data: gradient))
    }
}
