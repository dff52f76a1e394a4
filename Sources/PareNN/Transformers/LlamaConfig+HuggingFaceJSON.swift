import Foundation

extension LlamaConfig {
    /// The config.json Hugging Face transformers writes for this model (`LlamaForCausalLM`,
    /// `Qwen2ForCausalLM`, `MistralForCausalLM` by `model_type`), for exporting a model whose
    /// config came from elsewhere (GGUF metadata). Every size is explicit, so HF's defaults
    /// never decide anything; `decodeConfig` reads it back to this value.
    public func huggingFaceConfigJSON(bosTokenID: Int? = nil, eosTokenID: Int? = nil, torchDtype: String = "float32") -> Data {
        let architecture = switch modelType {
        case "qwen2": "Qwen2ForCausalLM"
        case "mistral": "MistralForCausalLM"
        default: "LlamaForCausalLM"
        }
        let kvHeads = numKeyValueHeads ?? numAttentionHeads
        let members: [(String, JSONText)] = [
            ("architectures", .array([.string(architecture)])),
            ("model_type", .string(modelType)),
            ("vocab_size", .int(vocabSize)),
            ("hidden_size", .int(hiddenSize)),
            ("intermediate_size", .int(intermediateSize)),
            ("num_hidden_layers", .int(numHiddenLayers)),
            ("num_attention_heads", .int(numAttentionHeads)),
            ("num_key_value_heads", .int(kvHeads)),
            ("head_dim", .int(headDim ?? hiddenSize / max(numAttentionHeads, 1))),
            ("hidden_act", .string(hiddenAct)),
            ("max_position_embeddings", .int(maxPositionEmbeddings)),
            ("rms_norm_eps", .float(rmsNormEps)),
            // A float32 theta (GGUF's) prints as its shortest float32 text, not its float64 widening.
            ("rope_theta", Double(Float(ropeTheta)) == ropeTheta ? .float(Float(ropeTheta)) : .double(ropeTheta)),
            ("tie_word_embeddings", .bool(tieWordEmbeddings)),
            ("attention_bias", .bool(attentionBias)),
            ("mlp_bias", .bool(mlpBias)),
            ("bos_token_id", bosTokenID.map { .int($0) } ?? .null),
            ("eos_token_id", eosTokenID.map { .int($0) } ?? .null),
            ("torch_dtype", .string(torchDtype)),
        ]
        return JSONText.object(members).data
    }
}
