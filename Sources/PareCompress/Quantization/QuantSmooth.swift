import Foundation
import PareNN
import PareTensor

/// `quant-smooth`: SmoothQuant (Xiao et al. 2023) then static W8A8. For each selected layer,
/// s_j = max|X_j|^α / max|W_{:,j}|^(1−α) (alpha=0.5) over the calibration inputs; W ← W·diag(s)
/// and X ← X·diag(1/s), which moves activation outliers into the weights. X·diag(1/s) is folded
/// into the previous Linear layer's rows and bias when the two are joined by ReLU (positively
/// homogeneous, so scaling by 1/s_j > 0 commutes with it) and that layer is still dense; otherwise
/// (first layer, GELU, compressed previous layer) it is an input scaling stored with the layer.
/// Then every selected layer is converted exactly as quant-static does (same observer options).
/// On a decoder LM the 1/s folds into the preceding norm (`fold=norm`, the default, as the
/// paper's q/k/v and MLP-input layers) or also into v_proj and up_proj (`fold=linear`); see
/// `DecoderSmoothing`.
public struct QuantSmooth: CompressionMethod {
    public static let name = "quant-smooth"
    public static let summary = "SmoothQuant: migrate activation outliers into the weights, then static W8A8 (needs --calib)."

    let alpha: Double
    let activation: ActivationQuantOptions
    let layers: LayerSelection
    /// Transformers only: where the smoothing folds (MLPs fold through ReLU or keep a multiplier).
    let fold: SmoothingFold
    let foldGiven: Bool

    public init(settings: Settings) throws {
        var s = settings
        alpha = try s.double("alpha", default: 0.5, valid: ("in [0, 1]", { $0 >= 0 && $0 <= 1 }))!
        activation = try ActivationQuantOptions(settings: &s)
        foldGiven = s.has("fold")
        fold = SmoothingFold(rawValue: try s.string("fold", default: "norm", oneOf: SmoothingFold.allCases.map(\.rawValue))!)!
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        var c = activation.config.merging(["alpha": .double(alpha), "layers": .string(layers.recorded)]) { a, _ in a }
        if foldGiven { c["fold"] = .string(fold.rawValue) }
        return c
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if model.isTransformer { return try compressTransformer(model, context: context) }
        if foldGiven { throw ConfigError("\(Self.name): fold= applies to transformers; an MLP folds through ReLU by itself.") }
        let indices = try layers.indices(in: model, method: Self.name)
        let calibration = try Calibration.require(context, for: Self.name, model: model)
        let smoothed = SmoothQuant.smooth(model, layers: indices, calibration: calibration.features, alpha: alpha)
        let out = try StaticQuantizer.quantize(smoothed.model, layers: indices, calibration: calibration.features,
                                               options: activation, inputMultipliers: smoothed.inputMultipliers,
                                               progress: context.progress)
        let folded = smoothed.foldedInto.sorted().map { model.layers[$0].name }
        var notes: [String] = []
        if !folded.isEmpty { notes.append("smoothing folded into the preceding layer of: \(folded.joined(separator: ", ")).") }
        return CompressionResult(model: out, notes: notes)
    }
}

/// The smoothing transformation, in fp32 (exact up to float rounding before any quantization).
public enum SmoothQuant {
    public struct Smoothed: Sendable {
        /// The model with W·diag(s) in smoothed layers and the 1/s folds applied to preceding layers.
        public var model: Model
        /// Layers whose 1/s could not be folded: their input must be multiplied by this before the layer.
        public var inputMultipliers: [Int: [Float]]
        /// Layers whose 1/s was folded into layer index − 1.
        public var foldedInto: Set<Int>
        /// The smoothing factors per layer.
        public var factors: [Int: [Float]]
    }

    /// s_j = max|X_j|^α / max|W_j|^(1−α); 1 where either maximum is 0 or the result is not finite.
    public static func factors(activationMax: [Float], weightMax: [Float], alpha: Double) -> [Float] {
        zip(activationMax, weightMax).map { a, w in
            guard a > 0, w > 0 else { return 1 }
            let s = Float(pow(Double(a), alpha) / pow(Double(w), 1 - alpha))
            return s.isFinite && s > 0 ? s : 1
        }
    }

    public static func smooth(_ model: Model, layers: [Int], calibration: Tensor, alpha: Double) -> Smoothed {
        let xMaxima = Self.inputMaxima(model, layers: Set(layers), on: calibration)
        var weights = model.layers.map { $0.weight.decoded() }
        var biases = model.layers.map(\.bias)
        var replaced = Set<Int>()
        var multipliers: [Int: [Float]] = [:], folded = Set<Int>(), allFactors: [Int: [Float]] = [:]
        let selected = Set(layers)
        for i in layers.sorted() {
            let xMax = xMaxima[i]!, w = model.layers[i].weight.decoded()
            let k = w.columns
            var wMax = [Float](repeating: 0, count: k)
            for r in 0..<w.rows { for j in 0..<k { wMax[j] = max(wMax[j], abs(w.data[r * k + j])) } }
            let s = factors(activationMax: xMax, weightMax: wMax, alpha: alpha)
            allFactors[i] = s
            // W ← W·diag(s)
            for r in 0..<w.rows { for j in 0..<k { weights[i].data[r * k + j] *= s[j] } }
            replaced.insert(i)
            let previousIsDense = i > 0 && (model.layers[i - 1].weight is DenseWeight || selected.contains(i - 1))
            if i > 0 && model.activation == .relu && previousIsDense {
                // Rows of the previous layer (its outputs j) and its bias divided by s_j.
                let pk = weights[i - 1].columns
                for j in 0..<k {
                    for c in 0..<pk { weights[i - 1].data[j * pk + c] /= s[j] }
                    if biases[i - 1] != nil { biases[i - 1]![j] /= s[j] }
                }
                replaced.insert(i - 1)
                folded.insert(i)
            } else {
                multipliers[i] = s.map { 1 / $0 }
            }
        }
        var out = model
        for i in replaced.sorted() {
            out.layers[i] = LinearLayer(name: model.layers[i].name, weight: DenseWeight(weights[i]), bias: biases[i])
        }
        return Smoothed(model: out, inputMultipliers: multipliers, foldedInto: folded, factors: allFactors)
    }

    /// max|X_j| of the input of each of `layers`, kept as one forward pass on `calibration`
    /// produces the inputs (not the inputs themselves).
    static func inputMaxima(_ model: Model, layers: Set<Int>, on calibration: Tensor) -> [Int: [Float]] {
        var maxima: [Int: [Float]] = [:]
        var index = 0   // layers run in order, once each: the call count is the layer index
        _ = model.forward(calibration, observer: LinearInputObserver { _, x in
            defer { index += 1 }
            guard layers.contains(index) else { return }
            let k = x.columns
            var xMax = maxima[index] ?? [Float](repeating: 0, count: k)
            for r in 0..<x.rows { for j in 0..<k { xMax[j] = max(xMax[j], abs(x.data[r * k + j])) } }
            maxima[index] = xMax
        })
        return maxima
    }

    /// The fp32 forward of a smoothed model, applying the stored input multipliers: the model's
    /// own forward with each multiplier folded into its layer's columns (x·diag(m)·Wᵀ =
    /// x·(W·diag(m))ᵀ, equal up to float rounding).
    public static func forward(_ smoothed: Smoothed, _ x: Tensor) -> Tensor {
        var model = smoothed.model
        for (index, m) in smoothed.inputMultipliers {
            var w = model.layers[index].weight.decoded()
            let k = w.columns
            for r in 0..<w.rows { for j in 0..<k { w.data[r * k + j] *= m[j] } }
            model.layers[index].weight = DenseWeight(w)
        }
        return model.forward(x)
    }
}
