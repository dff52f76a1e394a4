import Foundation
import PareNN

extension CausalDecoder {
    /// Mean next-token cross-entropy of `tokens` from the model's own logits (its real forward,
    /// integer kernels included), in Double: the independent value the gradient tests compare with.
    public func referenceNextTokenLoss(_ tokens: [Int]) throws -> Double {
        let logits = try logits(tokens: tokens)
        let vocab = logits.columns
        var total = 0.0
        for t in 0..<(tokens.count - 1) {
            let row = logits.data[(t * vocab)..<((t + 1) * vocab)].map(Double.init)
            let peak = row.max()!
            total += log(row.reduce(0) { $0 + exp($1 - peak) }) + peak - row[tokens[t + 1]]
        }
        return total / Double(tokens.count - 1)
    }
}
