import PareNN
import PareTensor

/// `quant-dynamic`: int8 symmetric weights, activations quantized per row (per token) at run
/// time from their own min/max, integer products — as torch.ao.quantization.quantize_dynamic
/// and ZeroQuant. No calibration. Weights per output channel by default; group=G gives
/// ZeroQuant's group-wise weights (one scale per G input columns of each row, each group's
/// partial integer product scaled on its own). activation_dtype=uint8|int8 (default uint8),
/// group, layers=….
public struct QuantDynamic: CompressionMethod {
    public static let name = "quant-dynamic"
    public static let summary = "W8A8 with int8 weights (per channel, or per group=G as ZeroQuant) and activations quantized per row at run time (no calibration)."

    let dtype: String
    /// Input columns per weight scale; nil = one scale per output channel.
    let group: Int?
    let layers: LayerSelection

    public init(settings: Settings) throws {
        var s = settings
        dtype = try s.string("activation_dtype", default: "uint8", oneOf: ["uint8", "int8"])!
        group = try s.int("group", valid: ("a positive whole number that divides each layer's input width", { $0 > 0 }))
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = [
            "activation_dtype": .string(dtype), "activation_granularity": .string("row"),
            "weight_bits": .int(8), "weight_granularity": .string(group == nil ? "channel" : "group"),
            "weight_scheme": .string("symmetric"), "layers": .string(layers.recorded)]
        if let group { c["group_size"] = .int(group) }
        return c
    }

    /// A group that does not divide a selected layer's input width is refused before anything is recorded.
    public func validate(_ model: Model, context: CompressionContext) throws {
        guard let group else { return }
        for i in try layers.indices(in: model, method: Self.name) where model.layers[i].inFeatures % group != 0 {
            let layer = model.layers[i]
            throw ConfigError("\(Self.name): group=\(group) does not divide the \(layer.inFeatures) inputs of layer \(layer.name); pick a divisor of \(layer.inFeatures).")
        }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        try validate(model, context: context)
        var out = model
        let format: QuantFormat = dtype == "int8" ? .int8Affine : .uint8Affine
        for i in try layers.indices(in: model, method: Self.name) {
            let w = model.layers[i].weight.decoded()
            let weight: any LinearWeight = if let group {
                try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: group, activationFormat: format)
            } else {
                DynamicInt8Linear(quantizing: w, activationFormat: format)
            }
            out = out.replacingWeight(at: i, with: weight)
        }
        return CompressionResult(model: out)
    }
}
