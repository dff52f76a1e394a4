import PareNN
import PareTensor

/// `quant-static`: W8A8 with fixed, calibrated activation ranges. Each selected layer's input range
/// is observed on --calib (observer=minmax|percentile|mse, percentile=99.99), with the layers
/// before it already quantized, as torch.ao's static PTQ does; activations per-tensor affine
/// (activation_dtype=uint8|int8), weights int8 per-channel symmetric; integer products.
public struct QuantStatic: CompressionMethod {
    public static let name = "quant-static"
    public static let summary = "W8A8 with activation ranges calibrated on --calib (minmax, percentile or MSE observer)."

    let activation: ActivationQuantOptions
    let layers: LayerSelection

    public init(settings: Settings) throws {
        var s = settings
        activation = try ActivationQuantOptions(settings: &s)
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        activation.config.merging(["layers": .string(layers.recorded)]) { a, _ in a }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if model.isTransformer {
            return CompressionResult(model: try StaticQuantizer.quantize(model, layers: layers, options: activation,
                                                                         context: context, method: Self.name))
        }
        let indices = try layers.indices(in: model, method: Self.name)
        let calibration = try Calibration.require(context, for: Self.name, model: model)
        let out = try StaticQuantizer.quantize(model, layers: indices, calibration: calibration.features,
                                               options: activation, inputMultipliers: [:], progress: context.progress)
        return CompressionResult(model: out)
    }
}

/// The static W8A8 conversion shared by quant-static and quant-smooth.
enum StaticQuantizer {
    /// Quantizes `layers` of `model` in order; each layer's activation range is observed on the
    /// input it sees from the partly quantized model (times its input multiplier, if any).
    static func quantize(_ model: Model, layers: [Int], calibration: Tensor, options: ActivationQuantOptions,
                         inputMultipliers: [Int: [Float]], progress: @Sendable (Double, String) -> Void) throws -> Model {
        var out = model
        for (n, i) in layers.enumerated() {
            let layer = out.layers[i]
            var input = Calibration.input(ofLayer: i, out, on: calibration)
            let multiplier = inputMultipliers[i]
            if let multiplier {
                for r in 0..<input.rows { for j in 0..<input.columns { input.data[r * input.columns + j] *= multiplier[j] } }
            }
            let range = options.observe(input.data)
            let q = StaticInt8Linear(quantizing: layer.weight.decoded(), activationRange: range,
                                     activationFormat: options.format, inputMultiplier: multiplier)
            out = out.replacingWeight(at: i, with: q)
            progress(Double(n + 1) / Double(layers.count), layer.name)
        }
        return out
    }
}
