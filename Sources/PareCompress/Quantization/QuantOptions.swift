import PareNN
import PareTensor

/// The weight-quantization options shared by `quant-weight` and `quant-gptq`:
/// bits=2…8, granularity=tensor|channel|group, group_size (group only; default 128 or the row
/// width if smaller), scheme=symmetric|affine.
struct WeightQuantOptions: Sendable, Equatable {
    var bits: Int
    var granularity: String
    /// Requested group size (group granularity only); nil = the default (128, or the row width if smaller).
    var groupSize: Int?
    var scheme: QuantScheme

    static let defaultGroupSize = 128

    init(settings: inout Settings, defaultBits: Int, defaultGranularity: String = "channel",
         defaultScheme: QuantScheme = .symmetric) throws {
        let method = settings.method
        bits = try settings.int("bits", default: defaultBits, valid: ("a whole number from 2 to 8", { (2...8).contains($0) }))!
        granularity = try settings.string("granularity", default: defaultGranularity, oneOf: ["tensor", "channel", "group"])!
        groupSize = try settings.int("group_size", valid: ("a positive whole number that divides each layer's input width", { $0 > 0 }))
        if groupSize != nil && granularity != "group" {
            throw ConfigError("\(method): group_size only applies to granularity=group (granularity is \(granularity)).")
        }
        scheme = QuantScheme(rawValue: try settings.string("scheme", default: defaultScheme.rawValue, oneOf: ["symmetric", "affine"])!)!
    }

    var format: QuantFormat { QuantFormat(bits: bits, scheme: scheme, signedCodes: false) }

    /// The granularity for a layer with `columns` inputs; a group size that does not divide the
    /// row is a ConfigError naming the layer.
    func granularity(for layer: LinearLayer, method: String) throws -> QuantGranularity {
        switch granularity {
        case "tensor": return .tensor
        case "channel": return .channel
        default:
            let size = groupSize ?? min(Self.defaultGroupSize, layer.inFeatures)
            guard layer.inFeatures % size == 0 else {
                throw ConfigError("\(method): group_size=\(size) does not divide the \(layer.inFeatures) inputs of layer \(layer.name); pick a divisor of \(layer.inFeatures).")
            }
            return .group(size)
        }
    }

    /// Refuses, before anything is recorded, a group size that does not divide a selected layer.
    func check(_ model: Model, layers: [Int], method: String) throws {
        for i in layers { _ = try granularity(for: model.layers[i], method: method) }
    }

    var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = ["bits": .int(bits), "granularity": .string(granularity), "scheme": .string(scheme.rawValue)]
        if granularity == "group" {
            // The default is 128, or a layer's row width where that is smaller.
            c["group_size"] = .int(groupSize ?? Self.defaultGroupSize)
        }
        return c
    }
}

/// Activation-quantization options shared by `quant-static` and `quant-smooth`.
struct ActivationQuantOptions: Sendable, Equatable {
    var observer: String
    var percentile: Double
    var dtype: String

    init(settings: inout Settings) throws {
        let method = settings.method
        observer = try settings.string("observer", default: "minmax", oneOf: ["minmax", "percentile", "mse"])!
        let given = settings.has("percentile")
        percentile = try settings.double("percentile", default: 99.99, valid: ("in (0, 100]", { $0 > 0 && $0 <= 100 }))!
        if given && observer != "percentile" {
            throw ConfigError("\(method): percentile only applies to observer=percentile (observer is \(observer)).")
        }
        dtype = try settings.string("activation_dtype", default: "uint8", oneOf: ["uint8", "int8"])!
    }

    var format: QuantFormat { dtype == "int8" ? .int8Affine : .uint8Affine }

    var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = ["observer": .string(observer), "activation_dtype": .string(dtype),
                                        "activation_granularity": .string("tensor"),
                                        "weight_bits": .int(8), "weight_granularity": .string("channel"),
                                        "weight_scheme": .string("symmetric")]
        if observer == "percentile" { c["percentile"] = .double(percentile) }
        return c
    }

    /// The activation range of `values` under this observer.
    func observe(_ values: [Float]) -> (min: Float, max: Float) {
        Observers.range(values, observer: observer, percentile: percentile, format: format)
    }
}

/// Activation range observers (torch.ao's MinMaxObserver, a percentile clip, and an MSE search).
public enum Observers {
    public static func range(_ values: [Float], observer: String, percentile: Double, format: QuantFormat) -> (min: Float, max: Float) {
        guard !values.isEmpty else { return (0, 0) }
        switch observer {
        case "percentile":
            let sorted = values.sorted()
            return (quantile(sorted, (100 - percentile) / 100), quantile(sorted, percentile / 100))
        case "mse":
            return mseRange(values, format: format)
        default:
            return (values.min()!, values.max()!)
        }
    }

    /// Linear interpolation between order statistics (numpy's default percentile).
    static func quantile(_ sorted: [Float], _ q: Double) -> Float {
        let position = q * Double(sorted.count - 1)
        let lo = Int(position.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let t = Float(position - Double(lo))
        return sorted[lo] + (sorted[hi] - sorted[lo]) * t
    }

    /// The clipping of [min, max] (by factors 1, 0.99, …, 0.2) minimizing the quantization
    /// squared error of `values`.
    static func mseRange(_ values: [Float], format: QuantFormat) -> (min: Float, max: Float) {
        let lo = min(values.min()!, 0), hi = max(values.max()!, 0)
        var best = (min: lo, max: hi), bestError = Double.infinity
        // A subsample keeps the search cheap on large calibration sets.
        let stride = max(1, values.count / 20000)
        for step in 0...80 {
            let f = Float(100 - step) / 100
            let p = format.params(min: lo * f, max: hi * f)
            var error = 0.0
            var i = 0
            while i < values.count {
                let v = values[i]
                let d = format.dequantize(format.quantize(v, scale: p.scale, zeroPoint: p.zeroPoint), scale: p.scale, zeroPoint: p.zeroPoint) - v
                error += Double(d * d)
                i += stride
            }
            if error < bestError { bestError = error; best = (lo * f, hi * f) }
        }
        return best
    }
}

extension Model {
    /// A copy with layer `index`'s weight replaced.
    func replacingWeight(at index: Int, with weight: any LinearWeight) -> Model {
        var copy = self
        let old = copy.layers[index]
        copy.layers[index] = LinearLayer(name: old.name, weight: weight, bias: old.bias)
        return copy
    }
}
