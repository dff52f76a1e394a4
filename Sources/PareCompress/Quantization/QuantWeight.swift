import PareNN
import PareTensor

/// `quant-weight`: weight-only post-training quantization by round-to-nearest.
/// bits=2…8 (default 8), granularity=tensor|channel|group (default channel), group_size,
/// scheme=symmetric|affine (default symmetric), layers=…. The default is PyTorch's
/// per_channel_symmetric qint8: Int8 codes + one Float32 scale per row. Codes below 8 bits are
/// bit-packed, so size_bytes = packed codes + scales + zero points. A pruned input layer (exact
/// zeros) is quantized on its nonzeros only and stored `sparse-quantized` (mask + codes of the
/// nonzeros) when that is smaller, as Deep Compression stores pruned-then-quantized layers.
public struct QuantWeight: CompressionMethod {
    public static let name = "quant-weight"
    public static let summary = "Weight-only round-to-nearest quantization (2–8 bits; per tensor, channel or group; symmetric or affine)."

    let options: WeightQuantOptions
    let layers: LayerSelection

    public init(settings: Settings) throws {
        var s = settings
        options = try WeightQuantOptions(settings: &s, defaultBits: 8)
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        options.config.merging(["layers": .string(layers.recorded)]) { a, _ in a }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        var out = model
        let indices = try layers.indices(in: model, method: Self.name)
        for (n, i) in indices.enumerated() {
            let layer = model.layers[i]
            let granularity = try options.granularity(for: layer, method: Self.name)
            // A pruned layer's zeros stay exactly zero and are not stored (sparse-quantized) when that is smaller.
            let q = try QuantizedStorage.quantizing(layer.weight.decoded(), format: options.format,
                                                    granularity: granularity, layer: layer.name)
            out = out.replacingWeight(at: i, with: q)
            context.progress(Double(n + 1) / Double(indices.count), layer.name)
        }
        return CompressionResult(model: out)
    }
}
