/// Quantization parameters and rounding rules, shared by every quantized encoding, the
/// quantization methods and (later) quantization-aware training.
///
/// The rules are PyTorch's (torch.ao.quantization observers + `quantize_per_channel`):
/// - symmetric: scale = max|w| / ((2^b − 1) / 2)  (127.5 at 8 bits), zero point 0,
///   codes clamp to [−2^(b−1), 2^(b−1) − 1];
/// - affine: the range is widened to include 0, scale = (max − min) / (2^b − 1),
///   zero_point = qmin − round(min / scale) clamped to [qmin, qmax]; codes 0 … 2^b − 1
///   (unsigned) or −2^(b−1) … 2^(b−1) − 1 (signed, zero point shifted by −2^(b−1));
/// - code = clamp(round_half_even(x · (1/scale)) + zero_point), x̂ = (code − zero_point) · scale;
/// - a scale of 0 (all-zero row, group or tensor) becomes Float32's epsilon as PyTorch does,
///   so every code is the zero point and nothing divides by zero.

/// How codes relate to values.
public enum QuantScheme: String, Sendable, Codable, CaseIterable {
    case symmetric, affine
}

/// Which values share one scale (and zero point).
public enum QuantGranularity: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// One scale for the whole tensor.
    case tensor
    /// One scale per output row (PyTorch's per-channel, axis 0).
    case channel
    /// One scale per `size` consecutive values of a row (along the input dimension).
    case group(Int)

    public var description: String {
        switch self {
        case .tensor: "tensor"
        case .channel: "channel"
        case .group(let size): "group\(size)"
        }
    }

    /// Parses `description` back ("tensor", "channel", "group128").
    public init?(_ text: String) {
        if text == "tensor" { self = .tensor }
        else if text == "channel" { self = .channel }
        else if text.hasPrefix("group"), let size = Int(text.dropFirst(5)), size > 0 { self = .group(size) }
        else { return nil }
    }
}

/// Bit width, scheme and signedness of the codes.
public struct QuantFormat: Sendable, Equatable, Hashable {
    public var bits: Int
    public var scheme: QuantScheme
    /// Affine only: codes −2^(b−1)…2^(b−1)−1 (true) or 0…2^b−1 (false). Symmetric codes are always signed.
    public var signedCodes: Bool

    public init(bits: Int, scheme: QuantScheme = .symmetric, signedCodes: Bool? = nil) {
        precondition((1...8).contains(bits), "quantization needs 1…8 bits, got \(bits)")
        self.bits = bits
        self.scheme = scheme
        self.signedCodes = scheme == .symmetric ? true : (signedCodes ?? false)
    }

    public static let int8Symmetric = QuantFormat(bits: 8, scheme: .symmetric)
    public static let uint8Affine = QuantFormat(bits: 8, scheme: .affine, signedCodes: false)
    public static let int8Affine = QuantFormat(bits: 8, scheme: .affine, signedCodes: true)

    public var qmin: Int32 { signedCodes ? -(Int32(1) << (bits - 1)) : 0 }
    public var qmax: Int32 { signedCodes ? (Int32(1) << (bits - 1)) - 1 : (Int32(1) << bits) - 1 }

    /// Scale and zero point for values in [min, max] (PyTorch's `_calculate_qparams`).
    public func params(min lo: Float, max hi: Float) -> (scale: Float, zeroPoint: Int32) {
        let eps = Float.ulpOfOne
        let lo = Swift.min(lo.isFinite ? lo : 0, 0), hi = Swift.max(hi.isFinite ? hi : 0, 0)
        switch scheme {
        case .symmetric:
            let maxAbs = Swift.max(-lo, hi)
            let scale = maxAbs / (Float(qmax - qmin) / 2)
            return (Swift.max(scale, eps), 0)
        case .affine:
            let scale = Swift.max((hi - lo) / Float(qmax - qmin), eps)
            let zp = Int32(qmin) - Int32((lo / scale).rounded(.toNearestOrEven))
            return (scale, Swift.min(Swift.max(zp, qmin), qmax))
        }
    }

    /// Scale and zero point fitting `values` by their min and max.
    public func params(fitting values: UnsafeBufferPointer<Float>) -> (scale: Float, zeroPoint: Int32) {
        var lo: Float = 0, hi: Float = 0
        for v in values { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        return params(min: lo, max: hi)
    }

    /// The code of one value: clamp(round_half_even(x · (1/scale)) + zp).
    @inline(__always)
    public func quantize(_ x: Float, scale: Float, zeroPoint: Int32) -> Int32 {
        let q = (x * (1 / scale)).rounded(.toNearestOrEven)
        // Clamp in Float first so huge values cannot overflow the Int32 conversion.
        let clamped = Swift.min(Swift.max(q + Float(zeroPoint), Float(qmin)), Float(qmax))
        return Int32(clamped)
    }

    @inline(__always)
    public func dequantize(_ code: Int32, scale: Float, zeroPoint: Int32) -> Float {
        Float(code - zeroPoint) * scale
    }
}

/// The quantization parameters of one [rows, columns] matrix: a scale (and zero point) per
/// tensor, per row, or per group of `groupSize` columns of each row.
public struct QuantParams: Sendable, Equatable {
    public var format: QuantFormat
    public var granularity: QuantGranularity
    public var rows: Int
    public var columns: Int
    /// One per group, row-major over (row, group): count = groupCount.
    public var scales: [Float]
    /// One per group (all 0 for symmetric).
    public var zeroPoints: [Int32]

    public init(format: QuantFormat, granularity: QuantGranularity, rows: Int, columns: Int,
                scales: [Float], zeroPoints: [Int32]) {
        self.format = format
        self.granularity = granularity
        self.rows = rows
        self.columns = columns
        self.scales = scales
        self.zeroPoints = zeroPoints
        precondition(scales.count == groupCount && zeroPoints.count == groupCount,
                     "QuantParams: \(groupCount) groups, \(scales.count) scales, \(zeroPoints.count) zero points")
    }

    /// Columns sharing one scale within a row (the whole row for tensor and channel).
    public var groupSize: Int {
        if case .group(let size) = granularity { return size }
        return columns
    }
    public var groupsPerRow: Int {
        if case .tensor = granularity { return 1 }
        return columns / groupSize
    }
    public var groupCount: Int {
        if case .tensor = granularity { return 1 }
        return rows * groupsPerRow
    }

    /// Index into `scales` of the value at (row, column).
    @inline(__always)
    public func group(row: Int, column: Int) -> Int {
        switch granularity {
        case .tensor: 0
        case .channel: row
        case .group(let size): row * (columns / size) + column / size
        }
    }

    /// Checks a granularity against a matrix shape; the message names `layer`.
    public static func validate(_ granularity: QuantGranularity, rows: Int, columns: Int, layer: String) throws {
        if case .group(let size) = granularity {
            guard size > 0 else { throw QuantizationError("group size must be positive (layer \(layer)).") }
            guard columns % size == 0 else {
                throw QuantizationError("group_size=\(size) does not divide the \(columns) inputs of layer \(layer); pick a divisor of \(columns).")
            }
        }
    }

    /// Min/max parameters fitted to `weight` ([rows, columns]).
    public static func fit(_ weight: Tensor, format: QuantFormat, granularity: QuantGranularity,
                           layer: String = "weight") throws -> QuantParams {
        let rows = weight.rows, columns = weight.columns
        try validate(granularity, rows: rows, columns: columns, layer: layer)
        var scales: [Float] = [], zps: [Int32] = []
        weight.data.withUnsafeBufferPointer { w in
            switch granularity {
            case .tensor:
                let p = format.params(fitting: w)
                scales = [p.scale]; zps = [p.zeroPoint]
            case .channel, .group:
                let size: Int
                if case .group(let s) = granularity { size = s } else { size = columns }
                let perRow = columns / Swift.max(size, 1)
                scales.reserveCapacity(rows * perRow); zps.reserveCapacity(rows * perRow)
                for r in 0..<rows {
                    for g in 0..<perRow {
                        let p = format.params(fitting: UnsafeBufferPointer(rebasing: w[(r * columns + g * size)..<(r * columns + (g + 1) * size)]))
                        scales.append(p.scale); zps.append(p.zeroPoint)
                    }
                }
            }
        }
        return QuantParams(format: format, granularity: granularity, rows: rows, columns: columns,
                           scales: scales, zeroPoints: zps)
    }

    /// Codes of `weight` (row-major), one Int32 per value.
    public func quantize(_ weight: Tensor) -> [Int32] {
        precondition(weight.count == rows * columns, "QuantParams for \(rows)×\(columns), tensor \(weight.shape)")
        var codes = [Int32](repeating: 0, count: weight.count)
        for r in 0..<rows {
            for c in 0..<columns {
                let g = group(row: r, column: c)
                codes[r * columns + c] = format.quantize(weight.data[r * columns + c], scale: scales[g], zeroPoint: zeroPoints[g])
            }
        }
        return codes
    }

    /// Values of `codes` ([rows, columns]).
    public func dequantize(_ codes: [Int32]) -> Tensor {
        precondition(codes.count == rows * columns)
        var out = [Float](repeating: 0, count: codes.count)
        for r in 0..<rows {
            for c in 0..<columns {
                let g = group(row: r, column: c)
                out[r * columns + c] = format.dequantize(codes[r * columns + c], scale: scales[g], zeroPoint: zeroPoints[g])
            }
        }
        return Tensor(shape: [rows, columns], data: out)
    }
}

/// Fake quantization (quantize → dequantize in Float) for quantization-aware training.
/// Returns the rounded values and the straight-through estimator's mask: 1 where
/// round(x/scale) + zero_point lies inside [qmin, qmax] (the gradient passes), 0 where the
/// value was clamped (PyTorch's `fake_quantize_per_channel_affine` cachemask).
/// With `.tensor` granularity `tensor` may have any shape (activations); otherwise it must be
/// the [rows, columns] matrix `params` was fitted to.
public func fakeQuantize(_ tensor: Tensor, _ params: QuantParams) -> (values: Tensor, steMask: Tensor) {
    let f = params.format
    var values = tensor, mask = Tensor(zeros: tensor.shape)
    let perTensor = params.granularity == .tensor
    if !perTensor {
        precondition(tensor.count == params.rows * params.columns, "fakeQuantize: params for \(params.rows)×\(params.columns), tensor \(tensor.shape)")
    }
    let columns = perTensor ? 1 : params.columns
    for i in 0..<tensor.count {
        let g = perTensor ? 0 : params.group(row: i / columns, column: i % columns)
        let scale = params.scales[g], zp = params.zeroPoints[g]
        let q = (tensor.data[i] * (1 / scale)).rounded(.toNearestOrEven) + Float(zp)
        let inside = q >= Float(f.qmin) && q <= Float(f.qmax)
        let code = Int32(Swift.min(Swift.max(q, Float(f.qmin)), Float(f.qmax)))
        values.data[i] = f.dequantize(code, scale: scale, zeroPoint: zp)
        mask.data[i] = inside ? 1 : 0
    }
    return (values, mask)
}

/// A quantization request that cannot be met (bad group size for a layer, …).
public struct QuantizationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
