import PareTensor

/// A decoder's token embedding stored as two factors, with a tied `lm_head` kept on the same
/// factors: the head's weight is the embedding matrix E = A·B, so logits = h·Eᵀ = (h·Bᵀ)·Aᵀ,
/// exactly what `LowRankWeight.forward` computes. Both read one pair of factors, so the
/// record stores them once (as the embedding) and the tie survives a rebuild.
extension CausalDecoder {
    /// Replaces the token embedding by `factors` (A [vocab, k], B [k, hidden]); a tied head
    /// follows it. An untied head is left alone (it is a Linear of its own).
    public mutating func factorTokenEmbedding(_ factors: LowRankWeight) {
        precondition(factors.outFeatures == embedTokens.count && factors.inFeatures == embedTokens.dim,
                     "factors of \(embedTokens.name) must multiply to [\(embedTokens.count), \(embedTokens.dim)]")
        embedTokens = Embedding(name: embedTokens.name, factors: factors)
        if lmHeadIsTied { lmHead = Linear(name: lmHead.name, weight: factors, bias: lmHead.bias) }
    }
}

extension TransformerModel {
    /// The factors of a decoder's token embedding when it is stored low-rank, else nil.
    public var tokenEmbeddingFactors: (name: String, factors: LowRankWeight)? {
        guard case .decoder(let m) = self, let f = m.embedTokens.factors else { return nil }
        return (m.embedTokens.name, f)
    }

    /// Values stored for the embeddings and norms: `nonLinearTensors`' sizes, with a factored
    /// token embedding counted as its factors (k·(vocab + hidden)), not as the dense product.
    public var nonLinearParameterCount: Int {
        let dense = nonLinearTensors.reduce(0) { $0 + $1.tensor.count }
        guard let (_, f) = tokenEmbeddingFactors else { return dense }
        return dense - f.outFeatures * f.inFeatures + f.parameterCount
    }
}
