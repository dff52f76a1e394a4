import Foundation

/// DESIGN.md's encoder metrics: sentence embeddings, their agreement with a base's
/// (`embedding_cosine`), and a probe's `accuracy` (see `LinearProbe`).
public enum EncoderEvaluation {
    /// The sentence embedding of every text: encoded with the tokenizer's special tokens
    /// ([CLS] … [SEP]), cut to `maxLength` ids (and never more than the model's
    /// `max_position_embeddings`), run `batch` sentences per packed pass.
    /// `progress` gets the fraction done after each batch.
    public static func embeddings(model: BertModel, tokenizer: any Tokenizer, texts: [String], maxLength: Int? = nil,
                                  batch: Int = 32, progress: (Double, String) -> Void = { _, _ in }) throws -> [[Float]] {
        let limit = min(maxLength ?? model.config.maxPositionEmbeddings, model.config.maxPositionEmbeddings)
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        let step = max(1, batch)
        for start in stride(from: 0, to: texts.count, by: step) {
            let end = min(start + step, texts.count)
            let ids = texts[start..<end].map { tokenizer.encode($0, addSpecialTokens: true, maxLength: limit) }
            out += try model.sentenceEmbeddings(batch: ids)
            progress(Double(end) / Double(texts.count), "embedded \(end) of \(texts.count) sentences")
        }
        return out
    }

    /// The mean over row pairs of cos(aᵢ, bᵢ) = aᵢ·bᵢ / (‖aᵢ‖‖bᵢ‖), in Double; a zero row's
    /// norm counts as 1e-12 (as torch's `normalize`), so it has cosine 0 with anything.
    public static func embeddingCosine(_ a: [[Float]], _ b: [[Float]]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "embeddingCosine needs the same, nonzero number of rows (\(a.count) vs \(b.count))")
        var total = 0.0
        for (x, y) in zip(a, b) {
            precondition(x.count == y.count, "embeddings of different widths \(x.count) and \(y.count)")
            var dot = 0.0, nx = 0.0, ny = 0.0
            for j in x.indices {
                let (u, v) = (Double(x[j]), Double(y[j]))
                dot += u * v; nx += u * u; ny += v * v
            }
            total += dot / (max(nx.squareRoot(), 1e-12) * max(ny.squareRoot(), 1e-12))
        }
        return total / Double(a.count)
    }
}
