import Foundation
import PareTensor

/// A GGUF file (llama.cpp's format) as a Pare transformer, with the Hugging Face config.json and
/// tokenizer.json it is equivalent to, so a GGUF-sourced model can be exported as an HF directory.
/// The model is built by the same registry as an HF checkpoint: GGUF tensors are renamed to HF's
/// names, the Llama Q/K rows un-permuted, and every shape checked by the architecture's loader.
public enum GGUFCheckpoint {
    /// The architectures (`general.architecture`) Pare loads from GGUF.
    public static let knownArchitectures = ["llama", "qwen2"]

    public struct Loaded: Sendable {
        public var model: TransformerModel
        /// The configuration read from the metadata (what `configJSON` says).
        public var config: LlamaConfig
        /// The Hugging Face config.json equivalent of the metadata.
        public var configJSON: Data
        /// The tokenizer of `tokenizer.ggml.*` (a `BPETokenizer`, as `TokenizerLoader.load(gguf:)` builds it).
        public var tokenizer: any Tokenizer
        /// The Hugging Face tokenizer.json equivalent; loading it gives the same ids as `tokenizer`.
        public var tokenizerJSON: Data
        /// `tokenizer.chat_template` (a Jinja template, as Hugging Face's tokenizer_config.json
        /// holds it), when the file has one.
        public var chatTemplate: String?
    }

    /// Reads the model, its config and its tokenizer. Tensors are dequantised to Float32 one at a
    /// time as the loader asks for them; the file stays memory-mapped, never copied whole.
    public static func load(_ file: GGUFFile) throws -> Loaded {
        let config = try self.config(file)
        let tokenizerMetadata = try GGUFTokenizerMetadata(file: file)
        // Built once (the vocabulary and merges tables are most of the tokenizer's cost) for both.
        let tokenizer = try TokenizerJSONWriter.tokenizer(gguf: tokenizerMetadata, source: file.source)
        let tokenizerJSON = TokenizerJSONWriter.tokenizerJSON(gguf: tokenizerMetadata, tokenizer: tokenizer)
        let configJSON = config.huggingFaceConfigJSON(bosTokenID: tokenizerMetadata.bosID, eosTokenID: tokenizerMetadata.eosID)
        // Through the registry from the JSON just written, so the config.json is the one the model runs.
        let model = try TransformerRegistry.load(configJSON: configJSON, tensors: tensors(file, config: config))
        return Loaded(model: model, config: config, configJSON: configJSON, tokenizer: tokenizer, tokenizerJSON: tokenizerJSON,
                      chatTemplate: file.string("tokenizer.chat_template"))
    }

    /// Opens and loads the file at `url`.
    public static func load(contentsOf url: URL) throws -> Loaded { try load(GGUFFile.open(url)) }

    // MARK: Configuration

    /// The Hugging Face configuration the metadata describes (keys as llama.cpp's converter
    /// writes them under `<arch>.`). head_count_kv, rope.freq_base and key_length may be absent,
    /// with llama.cpp's defaults (head_count, 10000, embedding_length / head_count).
    public static func config(_ file: GGUFFile) throws -> LlamaConfig {
        let source = file.source
        func bad(_ reason: String) -> TransformerError { .badConfig(source: source, reason: reason) }
        guard let arch = file.architecture else {
            throw bad("it has no metadata key 'general.architecture' naming the model's architecture")
        }
        guard knownArchitectures.contains(arch) else { throw TransformerError.unknownModelType(arch, known: knownArchitectures) }

        /// `<arch>.key` read by `read`, or `value` when absent; `what` names it in the error.
        func number<T>(_ key: String, _ what: String, default value: T?, kind: String, _ read: (GGUFValue) -> T?) throws -> T {
            let full = "\(arch).\(key)"
            guard let raw = file.metadata[full] else {
                if let value { return value }
                throw bad("it has no metadata key '\(full)' (\(what)), which a \(arch) GGUF needs")
            }
            guard let v = read(raw) else { throw bad("metadata key '\(full)' (\(what)) is \(raw), not \(kind)") }
            return v
        }
        func int(_ key: String, _ what: String, default value: Int? = nil) throws -> Int {
            try number(key, what, default: value, kind: "a single integer") { $0.intValue }
        }
        func float(_ key: String, _ what: String, default value: Float? = nil) throws -> Float {
            try number(key, what, default: value, kind: "a number") { $0.floatValue }
        }

        var c = LlamaConfig()
        c.modelType = arch
        c.numHiddenLayers = try int("block_count", "the number of layers")
        c.hiddenSize = try int("embedding_length", "the hidden size")
        c.intermediateSize = try int("feed_forward_length", "the MLP's hidden size")
        c.numAttentionHeads = try int("attention.head_count", "the number of query heads")
        c.numKeyValueHeads = try int("attention.head_count_kv", "the number of key/value heads", default: c.numAttentionHeads)
        c.maxPositionEmbeddings = try int("context_length", "the context length")
        c.rmsNormEps = try float("attention.layer_norm_rms_epsilon", "the RMSNorm epsilon")
        c.ropeTheta = Double(try float("rope.freq_base", "the RoPE base", default: 10000))
        guard c.numAttentionHeads > 0 else { throw bad("\(arch).attention.head_count is \(c.numAttentionHeads), but it must be positive") }
        if file.metadata["\(arch).attention.key_length"] == nil, c.hiddenSize % c.numAttentionHeads != 0 {
            throw bad("\(arch).embedding_length \(c.hiddenSize) is not a multiple of \(arch).attention.head_count \(c.numAttentionHeads), and no \(arch).attention.key_length gives the head size")
        }
        let headDim = try int("attention.key_length", "the head size", default: c.hiddenSize / c.numAttentionHeads)
        c.headDim = headDim
        let valueDim = try int("attention.value_length", "the value head size", default: headDim)
        guard valueDim == headDim else {
            throw bad("\(arch).attention.value_length \(valueDim) differs from key_length \(headDim), which Pare's attention does not model")
        }
        let ropeDims = try int("rope.dimension_count", "the rotated dimensions", default: headDim)
        guard ropeDims == headDim else {
            throw bad("\(arch).rope.dimension_count \(ropeDims) is not the head size \(headDim) (partial RoPE is not supported)")
        }
        if let scaling = file.string("\(arch).rope.scaling.type"), scaling != "none" {
            throw bad("\(arch).rope.scaling.type is '\(scaling)', a RoPE scaling Pare's decoder does not model")
        }
        if file.tensorInfo(named: "rope_freqs.weight") != nil {
            throw bad("it has tensor rope_freqs.weight (Llama 3.1's RoPE frequency scaling), which Pare's decoder does not model")
        }
        // The embedding's rows are the model's vocabulary (the token list may be shorter).
        let embeddingRows = file.tensorInfo(named: "token_embd.weight")?.shape.first
        c.vocabSize = try int("vocab_size", "the vocabulary size",
                              default: embeddingRows ?? file.stringArray("tokenizer.ggml.tokens")?.count ?? 0)
        c.tieWordEmbeddings = file.tensorInfo(named: "output.weight") == nil
        c.attentionBias = arch == "llama" && file.tensorInfo(named: "blk.0.attn_q.bias") != nil
        c.mlpBias = file.tensorInfo(named: "blk.0.ffn_gate.bias") != nil
        return c
    }

    // MARK: Tensors

    /// The file's tensors under HF's names; Llama's q/k rows un-permuted (llama.cpp runs Qwen2
    /// with NEOX RoPE, HF's own layout, so its converter leaves them alone).
    static func tensors(_ file: GGUFFile, config c: LlamaConfig) -> ClosureTensorProvider {
        let source = file.source
        let headDim = c.headDim ?? c.hiddenSize / c.numAttentionHeads
        let permuted = c.modelType == "llama"
        return ClosureTensorProvider(source) { name in
            guard let ggufName = GGUFTensorNames.gguf(forHuggingFace: name) else { return nil }
            guard let info = file.tensorInfo(named: ggufName) else {
                if name == "lm_head.weight" { return nil }   // no output.weight: tied to the embedding
                throw TransformerError.missingTensor(name: ggufName, source: source)
            }
            let heads = name.hasSuffix("q_proj.weight") || name.hasSuffix("q_proj.bias") ? c.numAttentionHeads
                : name.hasSuffix("k_proj.weight") || name.hasSuffix("k_proj.bias") ? c.numKeyValueHeads ?? c.numAttentionHeads
                : nil
            guard permuted, let heads else { return try file.tensor(named: ggufName) }
            // The rows must be the config's heads before they can be regrouped by head.
            let rows = heads * headDim
            guard info.shape.first == rows else {
                let expected = info.shape.count == 1 ? [rows] : [rows, c.hiddenSize]
                throw TransformerError.wrongShape(name: ggufName, expected: expected, found: info.shape, source: source)
            }
            return GGUFRoPELayout.unpermute(try file.tensor(named: ggufName), heads: heads)
        }
    }
}
