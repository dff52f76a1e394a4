import PareNN
import PareTensor

/// `quant-dynamic`: int8 per-channel symmetric weights, activations quantized per row (per token)
/// at run time from their own min/max, integer products — as torch.ao.quantization.quantize_dynamic
/// and ZeroQuant. No calibration. activation_dtype=uint8|int8 (default uint8), layers=….
public struct QuantDynamic: CompressionMethod {
    public static let name = "quant-dynamic"
    public static let summary = "W8A8 with int8 weights and activations quantized per row at run time (no calibration)."

    let dtype: String
    let layers: LayerSelection

    public init(settings: Settings) throws {
        var s = settings
        dtype = try s.string("activation_dtype", default: "uint8", oneOf: ["uint8", "int8"])!
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        ["activation_dtype": .string(dtype), "activation_granularity": .string("row"),
         "weight_bits": .int(8), "weight_granularity": .string("channel"), "weight_scheme": .string("symmetric"),
         "layers": .string(layers.recorded)]
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        var out = model
        let format: QuantFormat = dtype == "int8" ? .int8Affine : .uint8Affine
        for i in try layers.indices(in: model, method: Self.name) {
            out = out.replacingWeight(at: i, with: DynamicInt8Linear(quantizing: model.layers[i].weight.decoded(), activationFormat: format))
        }
        return CompressionResult(model: out)
    }
}
