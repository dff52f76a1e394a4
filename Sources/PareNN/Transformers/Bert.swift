import Foundation
import PareTensor

/// Hugging Face's `BertConfig` (`model_type: "bert"`), with its defaults.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int = 30522
    public var hiddenSize: Int = 768
    public var numHiddenLayers: Int = 12
    public var numAttentionHeads: Int = 12
    public var intermediateSize: Int = 3072
    public var hiddenAct: String = "gelu"
    public var maxPositionEmbeddings: Int = 512
    public var typeVocabSize: Int = 2
    public var layerNormEps: Float = 1e-12
    public var positionEmbeddingType: String = "absolute"

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size", layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BertConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? d.typeVocabSize
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? d.positionEmbeddingType
    }
}

/// `BertModel`'s encoder (the pooler is not used): word + position + token-type embeddings,
/// LayerNorm, then post-norm encoder layers. Paths are HF's (`embeddings.word_embeddings`,
/// `encoder.layer.N.attention.self.query`, …); checkpoints saved from a task model (`bert.`
/// prefix) or with TF-era `gamma`/`beta` norm names load too.
public struct BertModel: Sendable, LinearContainer {
    public var config: BertConfig
    public var wordEmbeddings: Embedding
    public var positionEmbeddings: Embedding
    public var tokenTypeEmbeddings: Embedding
    public var embeddingNorm: LayerNorm
    public var layers: [EncoderLayer]

    public init(config: BertConfig, wordEmbeddings: Embedding, positionEmbeddings: Embedding,
                tokenTypeEmbeddings: Embedding, embeddingNorm: LayerNorm, layers: [EncoderLayer]) {
        self.config = config
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.embeddingNorm = embeddingNorm
        self.layers = layers
    }

    public static func load(config c: BertConfig, tensors: any TensorProvider) throws -> BertModel {
        let source = tensors.sourceDescription
        func bad(_ reason: String) -> TransformerError { .badConfig(source: source, reason: reason) }
        guard let act = ActivationFunction(huggingFaceName: c.hiddenAct) else {
            throw bad("hidden_act '\(c.hiddenAct)' is not a known activation")
        }
        guard c.positionEmbeddingType == "absolute" else {
            throw bad("position_embedding_type '\(c.positionEmbeddingType)' is not supported (only 'absolute')")
        }
        for (key, value) in [("vocab_size", c.vocabSize), ("hidden_size", c.hiddenSize),
                             ("num_attention_heads", c.numAttentionHeads), ("intermediate_size", c.intermediateSize),
                             ("max_position_embeddings", c.maxPositionEmbeddings), ("type_vocab_size", c.typeVocabSize)]
        where value <= 0 { throw bad("\(key) is \(value), but it must be positive") }
        guard c.hiddenSize % c.numAttentionHeads == 0 else {
            throw bad("hidden_size \(c.hiddenSize) does not split into \(c.numAttentionHeads) heads")
        }
        let r = WeightReader(provider: BertCheckpointNames(base: tensors))
        let h = c.hiddenSize, eps = c.layerNormEps
        var layers: [EncoderLayer] = []
        for i in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(i)"
            let attention = Attention(
                query: try r.linear("\(p).attention.self.query", out: h, in: h, bias: true),
                key: try r.linear("\(p).attention.self.key", out: h, in: h, bias: true),
                value: try r.linear("\(p).attention.self.value", out: h, in: h, bias: true),
                output: try r.linear("\(p).attention.output.dense", out: h, in: h, bias: true),
                heads: c.numAttentionHeads, kvHeads: c.numAttentionHeads, headDim: h / c.numAttentionHeads,
                causal: false)
            let mlp = PlainMLP(up: try r.linear("\(p).intermediate.dense", out: c.intermediateSize, in: h, bias: true),
                               down: try r.linear("\(p).output.dense", out: h, in: c.intermediateSize, bias: true),
                               activation: act)
            layers.append(EncoderLayer(attention: attention,
                                       attentionNorm: try r.layerNorm("\(p).attention.output.LayerNorm", dim: h, eps: eps),
                                       mlp: mlp,
                                       outputNorm: try r.layerNorm("\(p).output.LayerNorm", dim: h, eps: eps)))
        }
        return BertModel(
            config: c,
            wordEmbeddings: try r.embedding("embeddings.word_embeddings", count: c.vocabSize, dim: h),
            positionEmbeddings: try r.embedding("embeddings.position_embeddings", count: c.maxPositionEmbeddings, dim: h),
            tokenTypeEmbeddings: try r.embedding("embeddings.token_type_embeddings", count: c.typeVocabSize, dim: h),
            embeddingNorm: try r.layerNorm("embeddings.LayerNorm", dim: h, eps: eps),
            layers: layers)
    }

    // MARK: Forward

    /// The last hidden states [T, hidden] of one sequence (token types default to 0).
    public func hiddenStates(tokens: [Int], tokenTypes: [Int]? = nil, observer: LinearInputObserver? = nil) throws -> Tensor {
        try forward([tokens], tokenTypes: tokenTypes.map { [$0] }, observer: observer)
    }

    /// The last hidden states of several sequences of any lengths in one pass: their rows are
    /// packed together and each attends only to its own tokens (what a padded batch with an
    /// attention mask computes, without the padding). Returns one [Tᵢ, hidden] per sequence.
    public func hiddenStates(batch: [[Int]], tokenTypes: [[Int]]? = nil, observer: LinearInputObserver? = nil) throws -> [Tensor] {
        let packed = try forward(batch, tokenTypes: tokenTypes, observer: observer)
        let h = config.hiddenSize
        var out: [Tensor] = [], row = 0
        for tokens in batch {
            let slice = Array(packed.data[row * h..<(row + tokens.count) * h])
            out.append(Tensor(shape: [tokens.count, h], data: slice))
            row += tokens.count
        }
        return out
    }

    /// The sentence-transformers embedding: the mean of the last hidden states over the
    /// tokens, L2-normalised.
    public func sentenceEmbedding(tokens: [Int], observer: LinearInputObserver? = nil) throws -> [Float] {
        Self.meanPooledUnitVector(try hiddenStates(tokens: tokens, observer: observer))
    }

    /// `sentenceEmbedding` of every sequence, computed in one packed pass.
    public func sentenceEmbeddings(batch: [[Int]], observer: LinearInputObserver? = nil) throws -> [[Float]] {
        try hiddenStates(batch: batch, observer: observer).map(Self.meanPooledUnitVector)
    }

    static func meanPooledUnitVector(_ states: Tensor) -> [Float] {
        let t = states.rows, h = states.columns
        var mean = [Double](repeating: 0, count: h)
        for r in 0..<t { for j in 0..<h { mean[j] += Double(states.data[r * h + j]) } }
        for j in 0..<h { mean[j] /= Double(t) }
        // As torch.nn.functional.normalize: divide by max(‖x‖, 1e-12).
        let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return mean.map { Float($0 / norm) }
    }

    private func forward(_ batch: [[Int]], tokenTypes: [[Int]]?, observer: LinearInputObserver?) throws -> Tensor {
        guard !batch.isEmpty, batch.allSatisfy({ !$0.isEmpty }) else { throw TransformerError.emptyInput("the encoder") }
        if let long = batch.first(where: { $0.count > config.maxPositionEmbeddings }) {
            throw TransformerError.sequenceTooLong(length: long.count, maximum: config.maxPositionEmbeddings)
        }
        if let tokenTypes, tokenTypes.count != batch.count || zip(tokenTypes, batch).contains(where: { $0.count != $1.count }) {
            throw TransformerError.badConfig(source: "the token types", reason: "they must give one type per token of every sequence")
        }
        var (x, segments) = try blockInput(batch: batch, tokenTypes: tokenTypes)
        for layer in layers { x = layer(x, segments: segments, observer: observer) }
        return x
    }

    /// Block 0's input for sequences packed in rows: the normalised sum of word, position and
    /// token-type embeddings [Σ lengths, hidden], and each sequence's row range.
    public func blockInput(batch: [[Int]], tokenTypes: [[Int]]? = nil) throws -> (input: Tensor, segments: [Range<Int>]) {
        let tokens = batch.flatMap { $0 }
        let positions = batch.flatMap { Array(0..<$0.count) }
        let types = tokenTypes?.flatMap { $0 } ?? [Int](repeating: 0, count: tokens.count)
        var segments: [Range<Int>] = [], start = 0
        for s in batch { segments.append(start..<start + s.count); start += s.count }

        var x = try wordEmbeddings(tokens)
        try positionEmbeddings.add(positions, to: &x)
        try tokenTypeEmbeddings.add(types, to: &x)
        return (embeddingNorm(x), segments)
    }

    // MARK: Linear leaves

    public var linears: [Linear] { layers.flatMap(\.linears) }

    public mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        for i in layers.indices { try layers[i].mapLinears(transform) }
    }
}

/// BERT's checkpoint quirks: tensors saved from a task model carry a `bert.` prefix, and
/// TF-converted ones name LayerNorm parameters `gamma`/`beta`. Asked for the HF name, this
/// finds whichever spelling the file has (the error still names the HF spelling).
struct BertCheckpointNames: TensorProvider {
    let base: any TensorProvider
    var sourceDescription: String { base.sourceDescription }

    func tensor(named name: String) throws -> Tensor? {
        var spellings = [name]
        if name.hasSuffix("LayerNorm.weight") { spellings.append(String(name.dropLast("weight".count)) + "gamma") }
        if name.hasSuffix("LayerNorm.bias") { spellings.append(String(name.dropLast("bias".count)) + "beta") }
        for s in spellings + spellings.map({ "bert." + $0 }) {
            if let t = try base.tensor(named: s) { return t }
        }
        return nil
    }
}

/// BERT encoders (`model_type: "bert"`; sentence-transformers' MiniLM and friends).
public enum Bert: TransformerArchitecture {
    public static let modelTypes = ["bert"]

    public static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel {
        .encoder(try BertModel.load(config: try decodeConfig(BertConfig.self, from: configJSON), tensors: tensors))
    }
}
