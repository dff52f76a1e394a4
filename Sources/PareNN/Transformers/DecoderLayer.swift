import PareTensor

/// A pre-norm decoder block (Llama, Qwen2, Mistral, GPT-2):
/// h = x + attn(norm₁(x)); out = h + mlp(norm₂(h)).
public struct DecoderLayer: Sendable {
    public var inputNorm: Normalization
    public var attention: Attention
    public var postAttentionNorm: Normalization
    public var mlp: FeedForward

    public init(inputNorm: Normalization, attention: Attention, postAttentionNorm: Normalization, mlp: FeedForward) {
        self.inputNorm = inputNorm
        self.attention = attention
        self.postAttentionNorm = postAttentionNorm
        self.mlp = mlp
    }

    func callAsFunction(_ x: Tensor, rotary: RotaryTable?, cache: inout LayerKVCache?,
                        observer: LinearInputObserver?) -> Tensor {
        var h = attention(inputNorm(x), rotary: rotary, cache: &cache, observer: observer)
        h.add(x)
        var out = mlp(postAttentionNorm(h), observer: observer)
        out.add(h)
        return out
    }

    public var linears: [Linear] { attention.linears + mlp.linears }

    mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        try attention.mapLinears(transform)
        try mlp.mapLinears(transform)
    }
}

/// A post-norm encoder block (BERT): h = LN₁(x + attn(x)); out = LN₂(h + mlp(h)).
public struct EncoderLayer: Sendable {
    public var attention: Attention
    public var attentionNorm: LayerNorm
    public var mlp: PlainMLP
    public var outputNorm: LayerNorm

    public init(attention: Attention, attentionNorm: LayerNorm, mlp: PlainMLP, outputNorm: LayerNorm) {
        self.attention = attention
        self.attentionNorm = attentionNorm
        self.mlp = mlp
        self.outputNorm = outputNorm
    }

    func callAsFunction(_ x: Tensor, segments: [Range<Int>], observer: LinearInputObserver?) -> Tensor {
        var noCache: LayerKVCache? = nil
        var a = attention(x, rotary: nil, segments: segments, cache: &noCache, observer: observer)
        a.add(x)
        let h = attentionNorm(a)
        var m = mlp(h, observer: observer)
        m.add(h)
        return outputNorm(m)
    }

    public var linears: [Linear] { attention.linears + [mlp.up, mlp.down] }

    mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        try attention.mapLinears(transform)
        mlp.up = try transform(mlp.up)
        mlp.down = try transform(mlp.down)
    }
}
