/// Int8 weights and int8/uint8 activations with integer matrix products (W8A8).
///
/// Both encodings hold the weight as Int8 codes, per-channel symmetric (PyTorch's
/// per_channel_symmetric qint8 rule), one Float32 scale per row. The forward quantizes each input
/// row to 8-bit codes q_x with (scale_x, zp_x), accumulates Σ q_w·q_x exactly in Int32 SIMD lanes,
/// subtracts the zero-point term zp_x·Σ_j q_w[r, j] (row sums precomputed), and dequantizes:
/// y[r] = scale_x · scale_w[r] · (Σ_j q_w[r,j]·q_x[j] − zp_x·rowsum[r]).

/// The int8 per-channel weight half shared by the static and dynamic encodings.
public struct Int8ChannelMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public let codes: [Int8]
    public let scales: [Float]
    public let rowSums: [Int32]
    /// Width of the codes (8, or fewer for QAT at low bits: −2^(b−1)…2^(b−1)−1 held in Int8).
    /// Storage packs them at this width, so size_bytes follows the bits; compute stays int8.
    public let bits: Int

    public init(quantizing weight: Tensor) {
        let params = try! QuantParams.fit(weight, format: .int8Symmetric, granularity: .channel)
        self.init(rows: weight.rows, columns: weight.columns,
                  codes: params.quantize(weight).map { Int8($0) }, scales: params.scales)
    }

    public init(rows: Int, columns: Int, codes: [Int8], scales: [Float], bits: Int = 8) {
        precondition(codes.count == rows * columns && scales.count == rows)
        precondition((2...8).contains(bits), "weight codes are 2…8 bits")
        precondition(bits == 8 || codes.allSatisfy { Int($0) >= -(1 << (bits - 1)) && Int($0) < 1 << (bits - 1) },
                     "codes exceed \(bits) bits")
        self.bits = bits
        self.rows = rows
        self.columns = columns
        self.codes = codes
        self.scales = scales
        var sums = [Int32](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Int32 = 0
            for j in 0..<columns { s += Int32(codes[r * columns + j]) }
            sums[r] = s
        }
        self.rowSums = sums
    }

    /// Reads codes then scales from `payload` at `offset`; returns the matrix and the next offset.
    static func read(_ payload: [UInt8], offset: Int, rows: Int, columns: Int, bits: Int = 8,
                     what: String) throws -> (Int8ChannelMatrix, Int) {
        guard (2...8).contains(bits) else { throw EncodingError("\(what): weight_bits \(bits) is outside 2…8") }
        let codeBytes = rows * BitPacking.bytesPerRow(columns: columns, bits: bits)
        let need = codeBytes + rows * 4
        guard payload.count >= offset + need else {
            throw EncodingError("\(what) [\(rows), \(columns)] needs at least \(offset + need) bytes, has \(payload.count)")
        }
        let packed = Array(payload[offset..<(offset + codeBytes)])
        let codes = bits == 8
            ? packed.map { Int8(bitPattern: $0) }
            : BitPacking.unpack(packed, rows: rows, columns: columns, bits: bits, signed: true).map { Int8($0) }
        let scales = Bytes.read(Float.self, from: payload, offset: offset + codeBytes, count: rows)
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EncodingError("\(what): weight scales must be finite and positive")
        }
        return (Int8ChannelMatrix(rows: rows, columns: columns, codes: codes, scales: scales, bits: bits), offset + need)
    }

    /// A stored W8A8 layer's 2-D shape checked and its `activation_dtype` read; shared by every
    /// int8-activation encoding.
    static func activationFormat(_ stored: EncodedTensor, what: String) throws -> QuantFormat {
        guard stored.shape.count == 2, stored.shape.allSatisfy({ $0 > 0 }) else {
            throw EncodingError("\(what) weight needs a 2-D shape, got \(stored.shape)")
        }
        switch stored.meta["activation_dtype"] {
        case "uint8": return .uint8Affine
        case "int8": return .int8Affine
        default: throw EncodingError("\(what): meta activation_dtype must be uint8 or int8")
        }
    }

    /// The weight half of a stored W8A8 layer (shape, `activation_dtype`, `weight_bits`, codes,
    /// scales), shared by the static and dynamic encodings; also the activation format and the
    /// offset where the encoding's own bytes begin.
    static func read(_ stored: EncodedTensor, what: String) throws -> (Int8ChannelMatrix, QuantFormat, Int) {
        let format = try activationFormat(stored, what: what)
        let bits = Int(stored.meta["weight_bits"] ?? "8") ?? 0
        let (matrix, next) = try read(stored.payload, offset: 0, rows: stored.shape[0], columns: stored.shape[1],
                                      bits: bits, what: "\(what) weight")
        return (matrix, format, next)
    }

    /// Codes (packed at `bits`) then scales.
    var bytes: [UInt8] {
        let packed = bits == 8
            ? codes.map { UInt8(bitPattern: $0) }
            : BitPacking.pack(codes.map { Int32($0) }, rows: rows, columns: columns, bits: bits)
        return packed + Bytes.of(scales)
    }

    public func dequantized() -> Tensor {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for j in 0..<columns { out[r * columns + j] = Float(codes[r * columns + j]) * scales[r] }
        }
        return Tensor(shape: [rows, columns], data: out)
    }

    /// y[i, r] = sx[i]·sw[r]·(Σ_j q_w[r,j]·q_x[i,j] − zp[i]·rowSum[r]) for `m` quantized input rows,
    /// computed from offset codes u = q_x − qmin with zpU[i] = zp[i] − qmin (the same Int32).
    func forward(codes u: UnsafePointer<UInt8>, batch m: Int, scales sx: UnsafePointer<Float>,
                 offsetZeroPoints zpU: UnsafePointer<Int32>, into y: UnsafeMutablePointer<Float>) {
        codes.withUnsafeBufferPointer { cw in
            rowSums.withUnsafeBufferPointer { rs in
                scales.withUnsafeBufferPointer { sw in
                    QuantKernels.w8a8(weight: cw.baseAddress!, rowSums: rs.baseAddress!, scales: sw.baseAddress!,
                                      n: rows, k: columns, codes: u, m: m, inputScales: sx, inputZeroPoints: zpU, into: y)
                }
            }
        }
    }
}

/// Dynamic per-token activation quantization of x [m, k] into the scratch of
/// `withActivationScratch`: each row's own min/max range gives its scale and zero point (stored
/// offset by qmin, as the integer kernels take it).
@inline(__always)
func quantizePerToken(_ x: Tensor, format: QuantFormat, into u: UnsafeMutablePointer<UInt8>,
                      scales sx: UnsafeMutablePointer<Float>, offsetZeroPoints zpU: UnsafeMutablePointer<Int32>) {
    let m = x.rows, k = x.columns, qmin = format.qmin, qmax = format.qmax
    x.data.withUnsafeBufferPointer { xp in
        for b in 0..<m {
            let row = xp.baseAddress! + b * k
            let (lo, hi) = QuantKernels.range(row, k)
            let (scale, zp) = format.params(min: lo, max: hi)
            QuantKernels.quantizeRow(row, multiplier: nil, k, scale: scale, zeroPoint: zp, qmin: qmin, qmax: qmax, into: u + b * k)
            sx[b] = scale
            zpU[b] = zp &- qmin
        }
    }
}

/// Scratch of one W8A8 forward: m·k activation codes, m scales and m offset zero points, on the
/// stack when small (no heap allocation besides the output for small layers).
@inline(__always)
func withActivationScratch<R>(rows m: Int, columns k: Int,
                              _ body: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, m * k)) { u in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, m)) { sx in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(1, m)) { zp in
                body(u.baseAddress!, sx.baseAddress!, zp.baseAddress!)
            }
        }
    }
}

/// Static W8A8: the input activation's scale and zero point are fixed at calibration time
/// (per tensor), as torch.ao's static post-training quantization does.
///
/// Stored form (encoding "int8-static"): payload = weight codes (Int8, out×in) ‖ weight scales
/// (F32, out) ‖ input scale (F32) ‖ input zero point (Int32) ‖ [input multiplier (F32, in) when
/// meta input_multiplier=true]; meta activation_dtype = uint8|int8.
/// The optional input multiplier m (SmoothQuant's diag(1/s) for a first layer) scales x before
/// quantizing: y = Q(x ⊙ m)·Ŵᵀ, so `decoded()` is Ŵ·diag(m).
public struct StaticInt8Linear: LinearWeight {
    public static let encodingName = "int8-static"

    public let weight: Int8ChannelMatrix
    public let inputFormat: QuantFormat
    public let inputScale: Float
    public let inputZeroPoint: Int32
    public let inputMultiplier: [Float]?

    public init(weight: Int8ChannelMatrix, inputFormat: QuantFormat, inputScale: Float, inputZeroPoint: Int32,
                inputMultiplier: [Float]? = nil) {
        precondition(inputFormat.bits == 8, "StaticInt8Linear takes 8-bit activations")
        precondition(inputMultiplier == nil || inputMultiplier!.count == weight.columns)
        self.weight = weight
        self.inputFormat = inputFormat
        self.inputScale = inputScale
        self.inputZeroPoint = inputZeroPoint
        self.inputMultiplier = inputMultiplier
    }

    /// Quantizes `weight` per channel and uses activation range [min, max] (already observed on
    /// calibration data, after any input multiplier).
    public init(quantizing weight: Tensor, activationRange: (min: Float, max: Float),
                activationFormat: QuantFormat = .uint8Affine, inputMultiplier: [Float]? = nil) {
        let p = activationFormat.params(min: activationRange.min, max: activationRange.max)
        self.init(weight: Int8ChannelMatrix(quantizing: weight), inputFormat: activationFormat,
                  inputScale: p.scale, inputZeroPoint: p.zeroPoint, inputMultiplier: inputMultiplier)
    }

    public init(decoding stored: EncodedTensor) throws {
        let (w, format, next) = try Int8ChannelMatrix.read(stored, what: "int8-static")
        let columns = stored.shape[1]
        let hasMultiplier = stored.meta["input_multiplier"] == "true"
        let expected = next + 8 + (hasMultiplier ? columns * 4 : 0)
        guard stored.payload.count == expected else {
            throw EncodingError("int8-static weight \(stored.shape) needs \(expected) bytes, has \(stored.payload.count)")
        }
        let scale = Bytes.read(Float.self, from: stored.payload, offset: next, count: 1)[0]
        let zp = Bytes.read(Int32.self, from: stored.payload, offset: next + 4, count: 1)[0]
        guard scale.isFinite, scale > 0, zp >= format.qmin, zp <= format.qmax else {
            throw EncodingError("int8-static: input scale \(scale) / zero point \(zp) invalid for \(stored.meta["activation_dtype"]!)")
        }
        let multiplier = hasMultiplier ? Bytes.read(Float.self, from: stored.payload, offset: next + 8, count: columns) : nil
        self.init(weight: w, inputFormat: format, inputScale: scale, inputZeroPoint: zp, inputMultiplier: multiplier)
    }

    public func encoded() -> EncodedTensor {
        var payload = weight.bytes + Bytes.of([inputScale]) + Bytes.of([inputZeroPoint])
        if let inputMultiplier { payload += Bytes.of(inputMultiplier) }
        return EncodedTensor(encoding: Self.encodingName, shape: [weight.rows, weight.columns],
                             meta: ["activation_dtype": inputFormat.signedCodes ? "int8" : "uint8",
                                    "input_multiplier": inputMultiplier == nil ? "false" : "true",
                                    "weight_bits": String(weight.bits)],
                             payload: payload)
    }

    public var outFeatures: Int { weight.rows }
    public var inFeatures: Int { weight.columns }
    public var flopsPerSample: Int { 2 * outFeatures * inFeatures }
    public var nonzeroCount: Int { weight.codes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    public func decoded() -> Tensor {
        var w = weight.dequantized()
        if let m = inputMultiplier {
            for r in 0..<w.rows { for j in 0..<w.columns { w.data[r * w.columns + j] *= m[j] } }
        }
        return w
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        let k = inFeatures, n = outFeatures, m = x.rows
        var y = Tensor(zeros: [m, n])
        let qmin = inputFormat.qmin, qmax = inputFormat.qmax
        withActivationScratch(rows: m, columns: k) { u, sx, zpU in
            x.data.withUnsafeBufferPointer { xp in
                func quantize(_ mp: UnsafePointer<Float>?) {
                    for b in 0..<m {
                        QuantKernels.quantizeRow(xp.baseAddress! + b * k, multiplier: mp, k, scale: inputScale,
                                                 zeroPoint: inputZeroPoint, qmin: qmin, qmax: qmax, into: u + b * k)
                        sx[b] = inputScale
                        zpU[b] = inputZeroPoint &- qmin
                    }
                }
                if let inputMultiplier {
                    inputMultiplier.withUnsafeBufferPointer { quantize($0.baseAddress!) }
                } else {
                    quantize(nil)
                }
            }
            y.data.withUnsafeMutableBufferPointer { yp in
                weight.forward(codes: u, batch: m, scales: sx, offsetZeroPoints: zpU, into: yp.baseAddress!)
            }
        }
        return y
    }
}

/// Dynamic W8A8: each input row is quantized at run time from its own min/max (per token), as
/// ZeroQuant and torch.ao.quantization.quantize_dynamic do; nothing is calibrated.
///
/// Stored form (encoding "int8-dynamic"): payload = weight codes (Int8, out×in) ‖ weight scales
/// (F32, out); meta activation_dtype = uint8|int8.
public struct DynamicInt8Linear: LinearWeight {
    public static let encodingName = "int8-dynamic"

    public let weight: Int8ChannelMatrix
    public let inputFormat: QuantFormat

    public init(weight: Int8ChannelMatrix, inputFormat: QuantFormat = .uint8Affine) {
        precondition(inputFormat.bits == 8 && inputFormat.scheme == .affine)
        self.weight = weight
        self.inputFormat = inputFormat
    }

    public init(quantizing weight: Tensor, activationFormat: QuantFormat = .uint8Affine) {
        self.init(weight: Int8ChannelMatrix(quantizing: weight), inputFormat: activationFormat)
    }

    public init(decoding stored: EncodedTensor) throws {
        let (w, format, next) = try Int8ChannelMatrix.read(stored, what: "int8-dynamic")
        guard stored.payload.count == next else {
            throw EncodingError("int8-dynamic weight \(stored.shape) needs \(next) bytes, has \(stored.payload.count)")
        }
        self.init(weight: w, inputFormat: format)
    }

    public func encoded() -> EncodedTensor {
        EncodedTensor(encoding: Self.encodingName, shape: [weight.rows, weight.columns],
                      meta: ["activation_dtype": inputFormat.signedCodes ? "int8" : "uint8"],
                      payload: weight.bytes)
    }

    public var outFeatures: Int { weight.rows }
    public var inFeatures: Int { weight.columns }
    public var flopsPerSample: Int { 2 * outFeatures * inFeatures }
    public var nonzeroCount: Int { weight.codes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    public func decoded() -> Tensor { weight.dequantized() }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        let k = inFeatures, n = outFeatures, m = x.rows
        var y = Tensor(zeros: [m, n])
        withActivationScratch(rows: m, columns: k) { u, sx, zpU in
            quantizePerToken(x, format: inputFormat, into: u, scales: sx, offsetZeroPoints: zpU)
            y.data.withUnsafeMutableBufferPointer { yp in
                weight.forward(codes: u, batch: m, scales: sx, offsetZeroPoints: zpU, into: yp.baseAddress!)
            }
        }
        return y
    }
}
