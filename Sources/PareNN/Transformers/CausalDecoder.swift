import PareTensor

/// The resolved shape of a Llama-family decoder (Llama, Qwen2, Mistral): what each
/// architecture's config becomes once its defaults and aliases are applied.
public struct DecoderSpec: Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var normEps: Float
    public var ropeTheta: Double
    public var activation: ActivationFunction
    /// Bias on q/k/v (Qwen2), on o, and on the MLP's three projections.
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool
    /// The longest sequence the model was trained for (`max_position_embeddings`): the limit of
    /// an evaluation window and of prompt plus generated tokens.
    public var maxPositions: Int

    public init(modelType: String, vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, kvHeads: Int,
                headDim: Int, intermediateSize: Int, normEps: Float, ropeTheta: Double,
                activation: ActivationFunction = .silu, qkvBias: Bool = false, outputBias: Bool = false,
                mlpBias: Bool = false, maxPositions: Int = 2048) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.intermediateSize = intermediateSize
        self.normEps = normEps
        self.ropeTheta = ropeTheta
        self.activation = activation
        self.qkvBias = qkvBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
        self.maxPositions = maxPositions
    }

    /// Refuses sizes no forward pass could run, naming the first bad one.
    func validate(source: String) throws {
        func bad(_ reason: String) -> TransformerError { .badConfig(source: source, reason: reason) }
        for (key, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", layers),
                             ("num_attention_heads", heads), ("num_key_value_heads", kvHeads),
                             ("head_dim", headDim), ("intermediate_size", intermediateSize)] where value <= 0 {
            throw bad("\(key) is \(value), but it must be positive")
        }
        guard heads % kvHeads == 0 else {
            throw bad("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        guard headDim % 2 == 0 else { throw bad("head_dim \(headDim) is odd, but RoPE rotates pairs of dimensions") }
        guard normEps > 0, ropeTheta > 0 else { throw bad("rms_norm_eps and rope_theta must be positive") }
    }
}

/// A decoder-only language model in the Llama layout: token embedding, pre-norm decoder
/// layers with RoPE attention, a final norm and the LM head. Module paths are HF's
/// (`model.embed_tokens`, `model.layers.N.self_attn.q_proj`, `model.norm`, `lm_head`).
public struct CausalDecoder: Sendable, LinearContainer {
    public var spec: DecoderSpec
    public var embedTokens: Embedding
    public var layers: [DecoderLayer]
    public var norm: Normalization
    /// The output projection [vocab, hidden]. When the checkpoint has no `lm_head.weight` it is
    /// the token embedding (`lmHeadIsTied`), sharing its storage until a method replaces it.
    public var lmHead: Linear
    public var lmHeadIsTied: Bool
    public var rotary: RotaryEmbedding

    public init(spec: DecoderSpec, embedTokens: Embedding, layers: [DecoderLayer], norm: Normalization,
                lmHead: Linear, lmHeadIsTied: Bool) {
        self.spec = spec
        self.embedTokens = embedTokens
        self.layers = layers
        self.norm = norm
        self.lmHead = lmHead
        self.lmHeadIsTied = lmHeadIsTied
        self.rotary = RotaryEmbedding(headDim: spec.headDim, theta: spec.ropeTheta)
    }

    /// Builds the model from HF-named tensors, checking every shape against `spec`.
    public static func load(spec: DecoderSpec, tensors: any TensorProvider) throws -> CausalDecoder {
        try spec.validate(source: tensors.sourceDescription)
        let r = WeightReader(provider: tensors)
        let s = spec, qWidth = s.heads * s.headDim, kvWidth = s.kvHeads * s.headDim
        let embed = try r.embedding("model.embed_tokens", count: s.vocabSize, dim: s.hiddenSize)
        var layers: [DecoderLayer] = []
        for i in 0..<s.layers {
            let p = "model.layers.\(i)"
            let attention = Attention(
                query: try r.linear("\(p).self_attn.q_proj", out: qWidth, in: s.hiddenSize, bias: s.qkvBias),
                key: try r.linear("\(p).self_attn.k_proj", out: kvWidth, in: s.hiddenSize, bias: s.qkvBias),
                value: try r.linear("\(p).self_attn.v_proj", out: kvWidth, in: s.hiddenSize, bias: s.qkvBias),
                output: try r.linear("\(p).self_attn.o_proj", out: s.hiddenSize, in: qWidth, bias: s.outputBias),
                heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, causal: true)
            let mlp = GatedMLP(
                gate: try r.linear("\(p).mlp.gate_proj", out: s.intermediateSize, in: s.hiddenSize, bias: s.mlpBias),
                up: try r.linear("\(p).mlp.up_proj", out: s.intermediateSize, in: s.hiddenSize, bias: s.mlpBias),
                down: try r.linear("\(p).mlp.down_proj", out: s.hiddenSize, in: s.intermediateSize, bias: s.mlpBias),
                activation: s.activation)
            layers.append(DecoderLayer(
                inputNorm: .rms(try r.rmsNorm("\(p).input_layernorm", dim: s.hiddenSize, eps: s.normEps)),
                attention: attention,
                postAttentionNorm: .rms(try r.rmsNorm("\(p).post_attention_layernorm", dim: s.hiddenSize, eps: s.normEps)),
                mlp: .gated(mlp)))
        }
        let norm = try r.rmsNorm("model.norm", dim: s.hiddenSize, eps: s.normEps)
        let head: Linear, tied: Bool
        if let w = try r.optional("lm_head.weight", shape: [s.vocabSize, s.hiddenSize]) {
            (head, tied) = (Linear(name: "lm_head", weight: DenseWeight(w), bias: nil), false)
        } else {
            (head, tied) = (Linear(name: "lm_head", weight: DenseWeight(embed.weight), bias: nil), true)
        }
        return CausalDecoder(spec: s, embedTokens: embed, layers: layers, norm: .rms(norm),
                             lmHead: head, lmHeadIsTied: tied)
    }

    // MARK: Forward

    /// An empty cache sized for this model.
    public func makeCache(reservingPositions capacity: Int = 0) -> KVCache {
        KVCache(layers: layers.count, kvWidth: spec.kvHeads * spec.headDim, reservingPositions: capacity)
    }

    /// The final-norm hidden states [T, hidden] of a window of tokens (causal, positions from 0).
    public func hiddenStates(tokens: [Int], observer: LinearInputObserver? = nil) throws -> Tensor {
        var none: KVCache? = nil
        return try forward(tokens, cache: &none, observer: observer)
    }

    /// Logits [T, vocab] for every position of a window (prefill; position t predicts t + 1).
    public func logits(tokens: [Int], observer: LinearInputObserver? = nil) throws -> Tensor {
        lmHead(try hiddenStates(tokens: tokens, observer: observer), observer: observer)
    }

    /// Logits [T, vocab] for `tokens` continuing the sequence in `cache` (positions from
    /// cache.length on), appending their keys and values to it.
    public func logits(tokens: [Int], cache: inout KVCache, observer: LinearInputObserver? = nil) throws -> Tensor {
        var c: KVCache? = cache
        cache = KVCache(layers: 0, kvWidth: 1)   // hand the storage over so appends do not copy it
        defer { cache = c! }
        return lmHead(try forward(tokens, cache: &c, observer: observer), observer: observer)
    }

    /// One incremental decoding step: the logits [1, vocab] of `token` at position cache.length.
    public func decode(token: Int, cache: inout KVCache) throws -> Tensor {
        try logits(tokens: [token], cache: &cache)
    }

    /// A generation's prefill: `tokens` continue the sequence in `cache` (appended to it), and
    /// only the last position's logits [1, vocab] are computed — the one a next token is picked
    /// from — so the LM head (49k × 576 for SmolLM2, a quarter of a 512-token prefill's work)
    /// runs on one row instead of every row, as llama.cpp's prompt processing does.
    public func prefill(tokens: [Int], cache: inout KVCache) throws -> Tensor {
        var c: KVCache? = cache
        cache = KVCache(layers: 0, kvWidth: 1)   // hand the storage over so appends do not copy it
        defer { cache = c! }
        let hidden = try forward(tokens, cache: &c, observer: nil)
        let last = Tensor(shape: [1, hidden.columns], data: Array(hidden.data.suffix(hidden.columns)))
        return lmHead(last, observer: nil)
    }

    private func forward(_ tokens: [Int], cache: inout KVCache?, observer: LinearInputObserver?) throws -> Tensor {
        guard !tokens.isEmpty else { throw TransformerError.emptyInput("the decoder") }
        if let c = cache {
            precondition(c.layers.count == layers.count && c.layers.allSatisfy { $0.width == spec.kvHeads * spec.headDim },
                         "KV cache was made for another model")
        }
        let start = cache?.length ?? 0
        let table = rotary.table(positions: Array(start..<start + tokens.count))
        var x = try embedTokens(tokens)
        for i in layers.indices {
            var layerCache: LayerKVCache? = nil
            if cache != nil {   // move the layer's cache out and back so it stays uniquely owned
                layerCache = cache!.layers[i]
                cache!.layers[i] = LayerKVCache(width: layerCache!.width, capacity: 0)
            }
            x = layers[i](x, rotary: table, cache: &layerCache, observer: observer)
            if let layerCache { cache!.layers[i] = layerCache }
        }
        return norm(x)
    }

    // MARK: Linear leaves

    public var linears: [Linear] { layers.flatMap(\.linears) + [lmHead] }

    public mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        for i in layers.indices { try layers[i].mapLinears(transform) }
        lmHead = try transform(lmHead)
    }
}
