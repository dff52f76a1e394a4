import Foundation
import PareTensor

/// Qwen2 (`model_type: "qwen2"`): the Llama layout with a bias on q/k/v (none on o), and its
/// own defaults. Sliding-window attention (`use_sliding_window`, off in released models) is not
/// modelled.
public enum Qwen2: TransformerArchitecture {
    public static let modelTypes = ["qwen2"]

    /// Qwen2's defaults differ from Llama's where `Qwen2Config` says so.
    public static func config(from json: Data) throws -> LlamaConfig {
        var defaults = LlamaConfig()
        defaults.modelType = "qwen2"
        defaults.vocabSize = 151936
        defaults.intermediateSize = 22016
        defaults.rmsNormEps = 1e-6
        defaults.maxPositionEmbeddings = 32768
        return try decodeConfig(LlamaConfig.self, from: json, overDefaults: defaults)
    }

    public static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel {
        var spec = try config(from: configJSON).spec(source: tensors.sourceDescription)
        spec.qkvBias = true
        spec.outputBias = false
        return .decoder(try CausalDecoder.load(spec: spec, tensors: tensors))
    }
}
