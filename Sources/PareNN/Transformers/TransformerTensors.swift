import PareTensor

/// The tensors of a transformer that are not Linear weights — embeddings and norms — under
/// their Hugging Face names, so a model is stored (and exported) as its checkpoint names it:
/// Linear leaves in their own encodings, these as plain Float32.
extension TransformerModel {
    /// Embedding tables and norm parameters as (HF tensor name, Float32 tensor), in module order.
    /// A factored token embedding appears as its dense product (what a Hugging Face export
    /// writes); the record stores its factors instead (`tokenEmbeddingFactors`).
    public var nonLinearTensors: [(name: String, tensor: Tensor)] {
        switch self {
        case .decoder(let m): m.nonLinearTensors
        case .encoder(let m): m.nonLinearTensors
        }
    }

    /// The Linear leaves inside the transformer blocks: what a method compresses when its
    /// `layers=` names nothing (never the embeddings, never `lm_head`).
    public var blockLinearPaths: [String] {
        switch self {
        case .decoder(let m): m.layers.flatMap(\.linears).map(\.name)
        case .encoder(let m): m.linears.map(\.name)
        }
    }

    /// Whether the decoder's output projection is still the token embedding itself (so a
    /// checkpoint stores it once, as `model.embed_tokens.weight`, with no `lm_head.weight`).
    /// False once a method has changed `lm_head`, and for encoders.
    public var sharesEmbeddingWithLMHead: Bool {
        guard case .decoder(let m) = self, m.lmHeadIsTied else { return false }
        if let factors = m.embedTokens.factors {   // a low-rank table: the head must read the same factors
            guard let head = m.lmHead.weight as? LowRankWeight else { return false }
            return Self.sameStorage(head.left, factors.left) && Self.sameStorage(head.right, factors.right)
        }
        guard let head = m.lmHead.weight as? DenseWeight else { return false }
        return head.weight.data.withUnsafeBufferPointer { a in
            m.embedTokens.weight.data.withUnsafeBufferPointer { b in
                a.count == b.count && (a.baseAddress == b.baseAddress || a.elementsEqual(b))
            }
        }
    }
}

extension TransformerModel {
    static func sameStorage(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress || x.elementsEqual(y) }
        }
    }
}

extension Normalization {
    fileprivate var namedTensors: [(name: String, tensor: Tensor)] {
        switch self {
        case .rms(let n): [(n.name + ".weight", Tensor(shape: [n.weight.count], data: n.weight))]
        case .layer(let n): n.namedTensors
        }
    }
}

extension LayerNorm {
    fileprivate var namedTensors: [(name: String, tensor: Tensor)] {
        [(name + ".weight", Tensor(shape: [weight.count], data: weight)),
         (name + ".bias", Tensor(shape: [bias.count], data: bias))]
    }
}

extension CausalDecoder {
    var nonLinearTensors: [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = [(embedTokens.name + ".weight", embedTokens.weight)]
        for layer in layers { out += layer.inputNorm.namedTensors + layer.postAttentionNorm.namedTensors }
        return out + norm.namedTensors
    }
}

extension BertModel {
    var nonLinearTensors: [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = [wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings]
            .map { ($0.name + ".weight", $0.weight) }
        out += embeddingNorm.namedTensors
        for layer in layers { out += layer.attentionNorm.namedTensors + layer.outputNorm.namedTensors }
        return out
    }
}
