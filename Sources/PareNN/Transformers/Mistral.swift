import Foundation
import PareTensor

/// Mistral (`model_type: "mistral"`): the Llama layout; its sliding window (4096) only matters
/// beyond that many positions and is not modelled.
public enum Mistral: TransformerArchitecture {
    public static let modelTypes = ["mistral"]

    public static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel {
        var defaults = LlamaConfig()
        defaults.modelType = "mistral"
        defaults.intermediateSize = 14336
        defaults.numKeyValueHeads = 8
        defaults.maxPositionEmbeddings = 4096 * 32
        defaults.rmsNormEps = 1e-6
        let config = try decodeConfig(LlamaConfig.self, from: configJSON, overDefaults: defaults)
        return .decoder(try CausalDecoder.load(spec: try config.spec(source: tensors.sourceDescription), tensors: tensors))
    }
}
