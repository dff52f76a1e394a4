/// A weight [out, in] quantized to 2…8-bit codes with one Float32 scale (and, for the affine
/// scheme, one zero point) per tensor, row or group, run without ever materializing the fp32
/// matrix at batch 1: the GEMV streams the packed code rows once and dequantizes in registers.
///
/// Stored form (encoding "quantized"):
///   payload = packed codes (BitPacking: rows × ⌈in·bits/8⌉ bytes)
///           ‖ scales (Float32 little-endian, one per group)
///           ‖ zero points (affine only: one byte per group, the b-bit code in two's complement
///             when signed), so `payload.count` is exactly codes + scales + zero points;
///   meta = bits, scheme (symmetric|affine), granularity (tensor|channel|groupN), signed (true|false).
/// 8-bit symmetric per-channel is PyTorch's per_channel_symmetric qint8: Int8 codes + one F32 scale a row.
public struct QuantizedWeight: LinearWeight {
    public static let encodingName = "quantized"

    public let params: QuantParams
    /// Packed codes, rows × bytesPerRow.
    public let packed: [UInt8]
    /// The fast GEMV's view of the codes, prepared once (see `QuantizedExecution`).
    let execution: QuantizedExecution

    public var bits: Int { params.format.bits }
    public var bytesPerRow: Int { BitPacking.bytesPerRow(columns: params.columns, bits: bits) }

    /// Round-to-nearest quantization of `weight` with min/max parameters.
    public init(quantizing weight: Tensor, format: QuantFormat, granularity: QuantGranularity,
                layer: String = "weight") throws {
        precondition(weight.rank == 2, "QuantizedWeight needs a matrix, got shape \(weight.shape)")
        let params = try QuantParams.fit(weight, format: format, granularity: granularity, layer: layer)
        self.init(codes: params.quantize(weight), params: params)
    }

    /// The quantization format a stored quantized tensor declares in its meta (bits, scheme,
    /// granularity, signed), checked against its shape; shared by the dense and sparse forms.
    static func storedFormat(_ stored: EncodedTensor, label: String) throws
        -> (format: QuantFormat, granularity: QuantGranularity, rows: Int, columns: Int) {
        guard stored.shape.count == 2, stored.shape.allSatisfy({ $0 > 0 }) else {
            throw EncodingError("\(label) needs a 2-D shape, got \(stored.shape)")
        }
        guard let bits = stored.meta["bits"].flatMap(Int.init), (1...8).contains(bits) else {
            throw EncodingError("\(label): meta 'bits' missing or outside 1…8")
        }
        guard let scheme = stored.meta["scheme"].flatMap(QuantScheme.init(rawValue:)) else {
            throw EncodingError("\(label): meta 'scheme' must be symmetric or affine")
        }
        guard let granularity = stored.meta["granularity"].flatMap(QuantGranularity.init) else {
            throw EncodingError("\(label): meta 'granularity' must be tensor, channel or groupN")
        }
        let rows = stored.shape[0], columns = stored.shape[1]
        do { try QuantParams.validate(granularity, rows: rows, columns: columns, layer: "stored") }
        catch { throw EncodingError("\(label): \(error)") }
        return (QuantFormat(bits: bits, scheme: scheme, signedCodes: stored.meta["signed"] == "true"), granularity, rows, columns)
    }

    /// Wraps codes computed elsewhere (GPTQ) with their parameters.
    public init(codes: [Int32], params: QuantParams) {
        precondition(codes.count == params.rows * params.columns)
        self.params = params
        self.packed = BitPacking.pack(codes, rows: params.rows, columns: params.columns, bits: params.format.bits)
        self.execution = QuantizedExecution(params: params, packed: packed)
    }

    public init(decoding stored: EncodedTensor) throws {
        let (format, granularity, rows, columns) = try Self.storedFormat(stored, label: "quantized weight")
        let (bits, scheme, signed) = (format.bits, format.scheme, format.signedCodes)
        let groups: Int
        switch granularity {
        case .tensor: groups = 1
        case .channel: groups = rows
        case .group(let size): groups = rows * (columns / size)
        }
        let codeBytes = rows * BitPacking.bytesPerRow(columns: columns, bits: bits)
        let zpBytes = scheme == .affine ? groups : 0
        let expected = codeBytes + groups * 4 + zpBytes
        guard stored.payload.count == expected else {
            throw EncodingError("quantized weight \(stored.shape) at \(bits) bits (\(granularity), \(scheme)) needs \(expected) bytes, has \(stored.payload.count)")
        }
        let scales = Bytes.read(Float.self, from: stored.payload, offset: codeBytes, count: groups)
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EncodingError("quantized weight: scales must be finite and positive")
        }
        var zps = [Int32](repeating: 0, count: groups)
        if scheme == .affine {
            let raw = Array(stored.payload[(codeBytes + groups * 4)...])
            for g in 0..<groups {
                zps[g] = signed ? Int32(Int8(bitPattern: raw[g])) : Int32(raw[g])
                guard zps[g] >= format.qmin && zps[g] <= format.qmax else {
                    throw EncodingError("quantized weight: zero point \(zps[g]) outside [\(format.qmin), \(format.qmax)]")
                }
            }
        }
        self.params = QuantParams(format: format, granularity: granularity, rows: rows, columns: columns,
                                  scales: scales, zeroPoints: zps)
        self.packed = Array(stored.payload[0..<codeBytes])
        self.execution = QuantizedExecution(params: params, packed: packed)
    }

    public func encoded() -> EncodedTensor {
        var payload = packed
        payload += Bytes.of(params.scales)
        if params.format.scheme == .affine {
            payload += params.zeroPoints.map { UInt8(truncatingIfNeeded: $0) }
        }
        return EncodedTensor(encoding: Self.encodingName, shape: [params.rows, params.columns],
                             meta: ["bits": String(bits), "scheme": params.format.scheme.rawValue,
                                    "granularity": params.granularity.description,
                                    "signed": params.format.signedCodes ? "true" : "false"],
                             payload: payload)
    }

    public var outFeatures: Int { params.rows }
    public var inFeatures: Int { params.columns }
    public var flopsPerSample: Int { 2 * outFeatures * inFeatures }

    /// The integer codes, row-major.
    public var codes: [Int32] {
        BitPacking.unpack(packed, rows: params.rows, columns: params.columns, bits: bits, signed: params.format.signedCodes)
    }

    public func decoded() -> Tensor { params.dequantize(codes) }

    public var nonzeroCount: Int { decoded().nonzeroCount }

    /// Batches at or above this size dequantize tiles of rows and call sgemm; below it the
    /// streaming GEMV reads the weights once for all rows.
    public static let gemmBatchThreshold = 17

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        var y = Tensor(zeros: [x.rows, outFeatures])
        if x.rows >= Self.gemmBatchThreshold {
            forwardTiled(x, &y)
        } else if x.data.withUnsafeBufferPointer({ xp in
            y.data.withUnsafeMutableBufferPointer { fastGEMV(xp.baseAddress!, rows: x.rows, into: $0.baseAddress!) }
        }) {
            return y
        } else {
            var scratch = GEMVScratch(params: params)
            x.data.withUnsafeBufferPointer { xp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    for b in 0..<x.rows {
                        gemv(xp.baseAddress! + b * inFeatures, yp.baseAddress! + b * outFeatures, &scratch)
                    }
                }
            }
        }
        return y
    }

    /// Dequantizes `tile` rows at a time into a small fp32 buffer and multiplies with sgemm.
    func forwardTiled(_ x: Tensor, _ y: inout Tensor) {
        let tile = 64, k = inFeatures, n = outFeatures
        var buffer = [Float](repeating: 0, count: tile * k)
        var rowCodes = [Int32](repeating: 0, count: k)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                var r0 = 0
                while r0 < n {
                    let count = min(tile, n - r0)
                    for r in r0..<(r0 + count) {
                        dequantizeRow(r, codes: &rowCodes, into: &buffer, at: (r - r0) * k)
                    }
                    buffer.withUnsafeBufferPointer { bp in
                        sgemm(.no, .yes, m: x.rows, n: count, k: k, a: xp.baseAddress!, lda: k,
                              b: bp.baseAddress!, ldb: k, c: yp.baseAddress! + r0, ldc: n)
                    }
                    r0 += count
                }
            }
        }
    }

    @inline(__always)
    func dequantizeRow(_ r: Int, codes: inout [Int32], into out: inout [Float], at offset: Int) {
        packed.withUnsafeBufferPointer { p in
            BitPacking.unpackRow(p.baseAddress! + r * bytesPerRow, columns: params.columns, bits: bits,
                                 signed: params.format.signedCodes, into: &codes, at: 0)
        }
        let k = params.columns
        let groups = params.groupsPerRow, size = params.groupSize
        codes.withUnsafeBufferPointer { cp in
            out.withUnsafeMutableBufferPointer { op in
                for g in 0..<groups {
                    let index = params.group(row: r, column: g * size)
                    let zero = params.zeroPoints[index], scale = params.scales[index]
                    for c in (g * size)..<min((g + 1) * size, k) { op[offset + c] = Float(cp[c] - zero) * scale }
                }
            }
        }
    }

    /// Codes per read unit of the packed GEMV kernels (1 byte, or 3 bytes for 3-bit).
    static func unitCodes(bits: Int) -> Int? {
        switch bits {
        case 8: 1
        case 4: 2
        case 2: 4
        case 3: 8
        default: nil
        }
    }

    /// Per-call buffers of the GEMV.
    struct GEMVScratch {
        var groupSums: [Float]
        var planes: [Float]
        var rowValues: [Float]
        var rowCodes: [Int32]
        init(params: QuantParams) {
            groupSums = [Float](repeating: 0, count: params.groupsPerRow)
            planes = [Float](repeating: 0, count: params.columns + 8)
            rowValues = [Float](repeating: 0, count: params.columns)
            rowCodes = [Int32](repeating: 0, count: params.columns)
        }
    }

    /// y[r] = Σ_groups scale_g · (Σ_j code_j·x_j − zp_g · Σ_j x_j) for one input row, streaming
    /// each packed row once.
    func gemv(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ scratch: inout GEMVScratch) {
        let rows = params.rows, k = params.columns
        let gpr = params.groupsPerRow, gsize = params.groupSize
        let signed = params.format.signedCodes
        let rowBytes = bytesPerRow
        let perTensor = params.granularity == .tensor
        let bits = self.bits
        guard let u = Self.unitCodes(bits: bits), gpr == 1 || gsize % u == 0 else {
            gemvUnpacked(x, y, &scratch)
            return
        }
        // Sub-byte signed codes are read as c + 2^(b−1) (see QuantKernels), folded into the zero point.
        let offset: Int32 = bits < 8 && signed ? Int32(1) << (bits - 1) : 0
        let needSums = params.format.scheme == .affine || offset != 0
        let fullUnits = k / u
        let tailStart = fullUnits * u  // codes after the last whole unit (only when one group spans the row)
        if needSums {
            // Over the columns the unit kernels cover; the scalar tail handles its own zero point.
            for g in 0..<gpr {
                var s: Float = 0
                for j in (g * gsize)..<min((g + 1) * gsize, tailStart) { s += x[j] }
                scratch.groupSums[g] = s
            }
        }
        if u > 1 {
            for i in 0..<fullUnits { for p in 0..<u { scratch.planes[p * fullUnits + i] = x[u * i + p] } }
        }
        let flip8: UInt8 = !signed ? 0 : (bits == 4 ? 0x88 : 0xAA)
        let flip3: UInt32 = signed ? 0x924924 : 0
        packed.withUnsafeBufferPointer { pw in
        params.scales.withUnsafeBufferPointer { scales in
        params.zeroPoints.withUnsafeBufferPointer { zps in
        scratch.groupSums.withUnsafeBufferPointer { sums in
        scratch.planes.withUnsafeBufferPointer { pl in
            let w = pw.baseAddress!, planes = pl.baseAddress!
            let units = gpr == 1 ? fullUnits : gsize / u
            // Signed 8-bit codes with one scale per row (the int8 per-channel default) go four
            // rows at a time, sharing the loads of x.
            let fourRows = bits == 8 && signed && gpr == 1 && !needSums
            // Large layers split their rows across the cores, as the dense GEMV does.
            let threads = rows * k >= 1 << 21 ? min(gemmThreadCount, rows) : 1
            SparseThreads.parallelFor(threads) { t in
            var r = rows * t / threads
            let end = rows * (t + 1) / threads
            if fourRows {
                let codes = UnsafeRawPointer(w).assumingMemoryBound(to: Int8.self)
                while r + 4 <= end {
                    let d = QuantKernels.dot4Rows(codes + r * rowBytes, stride: rowBytes, x, k)
                    for i in 0..<4 { y[r + i] = d[i] * scales[perTensor ? 0 : r + i] }
                    r += 4
                }
            }
            for r in r..<end {
                let row = w + r * rowBytes
                var accv = SIMD16<Float>()
                var correction: Float = 0
                for g in 0..<gpr {
                    let gi = perTensor ? 0 : r * gpr + g
                    let unitOffset = g * gsize / u
                    let d: SIMD16<Float>
                    switch bits {
                    case 8:
                        d = signed
                            ? QuantKernels.dotLanes(UnsafeRawPointer(row).assumingMemoryBound(to: Int8.self) + g * gsize, x + g * gsize, gsize)
                            : QuantKernels.dotLanes(row + g * gsize, x + g * gsize, gsize)
                    case 4:
                        d = QuantKernels.dot4(row + unitOffset, planes + unitOffset, planes + fullUnits + unitOffset,
                                              units: units, flip: flip8)
                    case 2:
                        d = QuantKernels.dot2(row + unitOffset, planes + unitOffset, planeStride: fullUnits,
                                              units: units, flip: flip8)
                    default:
                        d = QuantKernels.dot3(row + 3 * unitOffset, planes + unitOffset, planeStride: fullUnits,
                                              units: units, flip: flip3)
                    }
                    let s = scales[gi]
                    accv += d * s
                    if needSums { correction += s * Float(zps[gi] + offset) * sums[g] }
                }
                var out = accv.sum() - correction
                if tailStart < k {
                    // One group spans the row (tensor/channel): the last partial unit, scalar.
                    let gi = perTensor ? 0 : r
                    var t: Float = 0
                    for j in tailStart..<k {
                        t += Float(BitPacking.code(row, j, bits: bits, signed: signed) - zps[gi]) * x[j]
                    }
                    out += t * scales[gi]
                }
                y[r] = out
            }
            }
        }
        }
        }
        }
        }
    }

    /// The general path (group sizes that split a read unit): unpack each row to Float, then dot.
    func gemvUnpacked(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ scratch: inout GEMVScratch) {
        let rows = params.rows, k = params.columns
        let gpr = params.groupsPerRow, gsize = params.groupSize
        let perTensor = params.granularity == .tensor
        packed.withUnsafeBufferPointer { pw in
            for r in 0..<rows {
                BitPacking.unpackRow(pw.baseAddress! + r * bytesPerRow, columns: k, bits: bits,
                                     signed: params.format.signedCodes, into: &scratch.rowCodes, at: 0)
                var acc: Float = 0
                for g in 0..<gpr {
                    let gi = perTensor ? 0 : r * gpr + g
                    let zp = params.zeroPoints[gi]
                    for j in (g * gsize)..<((g + 1) * gsize) { scratch.rowValues[j] = Float(scratch.rowCodes[j] - zp) }
                    acc += params.scales[gi] * scratch.rowValues.withUnsafeBufferPointer {
                        QuantKernels.dot($0.baseAddress! + g * gsize, x + g * gsize, gsize)
                    }
                }
                y[r] = acc
            }
        }
    }
}
