import Foundation
import PareTensor

/// Hugging Face's `LlamaConfig` (`config.json` with `model_type: "llama"`), with its defaults
/// for every key a file leaves out.
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var modelType: String = "llama"
    public var vocabSize: Int = 32000
    public var hiddenSize: Int = 4096
    public var intermediateSize: Int = 11008
    public var numHiddenLayers: Int = 32
    public var numAttentionHeads: Int = 32
    /// nil means num_attention_heads (plain multi-head attention).
    public var numKeyValueHeads: Int? = nil
    /// nil means hidden_size / num_attention_heads.
    public var headDim: Int? = nil
    public var hiddenAct: String = "silu"
    public var maxPositionEmbeddings: Int = 2048
    public var rmsNormEps: Float = 1e-6
    public var ropeTheta: Double = 10000
    public var tieWordEmbeddings: Bool = false
    public var attentionBias: Bool = false
    public var mlpBias: Bool = false

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Qwen2 and Mistral decode the same keys over their own defaults (see `decodeConfig`).
        let d = decoder.userInfo[.configDefaults] as? LlamaConfig ?? LlamaConfig()
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? d.modelType
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? d.numKeyValueHeads
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? d.headDim
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? d.rmsNormEps
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? d.ropeTheta
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? d.tieWordEmbeddings
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? d.attentionBias
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? d.mlpBias
    }

    /// The decoder this config describes; an unknown `hidden_act` is a typed error.
    public func spec(source: String = "config.json") throws -> DecoderSpec {
        guard let act = ActivationFunction(huggingFaceName: hiddenAct) else {
            throw TransformerError.badConfig(source: source, reason: "hidden_act '\(hiddenAct)' is not a known activation")
        }
        guard numAttentionHeads > 0 else {
            throw TransformerError.badConfig(source: source, reason: "num_attention_heads is \(numAttentionHeads), but it must be positive")
        }
        return DecoderSpec(modelType: modelType, vocabSize: vocabSize, hiddenSize: hiddenSize, layers: numHiddenLayers,
                           heads: numAttentionHeads, kvHeads: numKeyValueHeads ?? numAttentionHeads,
                           headDim: headDim ?? hiddenSize / numAttentionHeads, intermediateSize: intermediateSize,
                           normEps: rmsNormEps, ropeTheta: ropeTheta, activation: act,
                           qkvBias: attentionBias, outputBias: attentionBias, mlpBias: mlpBias,
                           maxPositions: maxPositionEmbeddings)
    }
}

/// Llama (and SmolLM2, TinyLlama, …): `LlamaForCausalLM` as a `CausalDecoder`.
public enum Llama: TransformerArchitecture {
    public static let modelTypes = ["llama"]

    public static func load(config: LlamaConfig, tensors: any TensorProvider) throws -> CausalDecoder {
        try CausalDecoder.load(spec: try config.spec(source: tensors.sourceDescription), tensors: tensors)
    }

    public static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel {
        .decoder(try load(config: try decodeConfig(LlamaConfig.self, from: configJSON), tensors: tensors))
    }
}
