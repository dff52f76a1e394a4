/// A pruned-then-quantized weight [out, in], as Deep Compression stores one: a bitmask of the
/// weights that survived pruning plus the b-bit codes of those weights only, with the scales
/// (and zero points) of `QuantizedWeight`. Pruned weights have no code and decode to exactly 0.
///
/// Stored form (encoding "sparse-quantized"):
///   payload = bitmask (⌈out·in/8⌉ bytes, bit i = row-major weight i is stored, LSB first)
///           ‖ packed codes of the stored weights, in row-major order, as one bit stream
///             (BitPacking with one row of nnz codes: ⌈nnz·bits/8⌉ bytes)
///           ‖ scales (Float32 little-endian, one per group, as `QuantizedWeight`)
///           ‖ zero points (affine only: one byte per group);
///   meta = bits, scheme, granularity, signed — the same keys as `quantized`.
/// So payload.count = out·in/8 + nnz·bits/8 + groups·(4 + zp), smaller than `quantized`
/// (out·in·bits/8 + …) once more than 1/bits of the weights are pruned.
///
/// Forward: the nonzeros are dequantized into a CSR matrix once, when the weight is made or
/// decoded, and run through `SparseExecution` (the CSR kernels or sgemm, whichever is faster
/// at this density), so inference pays no per-call decoding.
public struct SparseQuantizedWeight: LinearWeight {
    public static let encodingName = "sparse-quantized"

    public let params: QuantParams
    /// Bit i set = weight i (row-major) is stored.
    public let mask: [UInt8]
    /// The stored weights' codes, bit-packed as one stream.
    public let packedCodes: [UInt8]
    /// How many weights are stored (set bits of `mask`).
    public let storedCount: Int
    public let execution: SparseExecution
    public let nonzeroCount: Int

    public var bits: Int { params.format.bits }
    public var outFeatures: Int { params.rows }
    public var inFeatures: Int { params.columns }

    /// Wraps the codes of every weight (row-major) with their parameters; only the weights with
    /// `keep[i]` are stored, every other weight is exactly zero.
    public init(codes: [Int32], params: QuantParams, keep: [Bool]) {
        let count = params.rows * params.columns
        precondition(codes.count == count && keep.count == count, "SparseQuantizedWeight: \(codes.count) codes, \(keep.count) flags for \(params.rows)×\(params.columns)")
        var mask = [UInt8](repeating: 0, count: (count + 7) / 8)
        var stored: [Int32] = []
        stored.reserveCapacity(count)
        for i in 0..<count where keep[i] {
            mask[i >> 3] |= 1 << UInt8(i & 7)
            stored.append(codes[i])
        }
        self.init(params: params, mask: mask, storedCodes: stored)
    }

    /// Round-to-nearest quantization of the nonzero weights of `weight`; zeros stay zero.
    public init(quantizing weight: Tensor, format: QuantFormat, granularity: QuantGranularity,
                layer: String = "weight") throws {
        precondition(weight.rank == 2, "SparseQuantizedWeight needs a matrix, got shape \(weight.shape)")
        let params = try QuantParams.fit(weight, format: format, granularity: granularity, layer: layer)
        self.init(codes: params.quantize(weight), params: params, keep: weight.data.map { $0 != 0 })
    }

    private init(params: QuantParams, mask: [UInt8], storedCodes: [Int32]) {
        self.params = params
        self.mask = mask
        self.storedCount = storedCodes.count
        self.packedCodes = BitPacking.pack(storedCodes, rows: 1, columns: storedCodes.count, bits: params.format.bits)
        // Dequantize the stored codes into CSR once, for the forward pass.
        let rows = params.rows, columns = params.columns
        var rowStart = [UInt32](repeating: 0, count: rows + 1)
        var columnIndex: [UInt32] = []
        var values: [Float] = []
        columnIndex.reserveCapacity(storedCodes.count)
        values.reserveCapacity(storedCodes.count)
        var next = 0
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                guard mask[i >> 3] >> UInt8(i & 7) & 1 != 0 else { continue }
                let g = params.group(row: r, column: c)
                let value = params.format.dequantize(storedCodes[next], scale: params.scales[g], zeroPoint: params.zeroPoints[g])
                next += 1
                // A stored weight whose code is the zero point is a zero: the kernel skips it.
                if value != 0 { columnIndex.append(UInt32(c)); values.append(value) }
            }
            rowStart[r + 1] = UInt32(values.count)
        }
        let indices: CSRMatrix.Indices = CSRMatrix.uses16BitIndices(columns: columns)
            ? .u16(columnIndex.map { UInt16($0) }) : .u32(columnIndex)
        // Row pointers and ascending columns come from the mask itself: valid by construction.
        let csr = try! CSRMatrix(rows: rows, columns: columns, rowStart: rowStart, columnIndex: indices, values: values)
        self.nonzeroCount = values.count
        self.execution = SparseExecution(csr)
    }

    public init(decoding stored: EncodedTensor) throws {
        let (format, granularity, rows, columns) = try QuantizedWeight.storedFormat(stored, label: "sparse-quantized weight")
        let (bits, scheme, signed) = (format.bits, format.scheme, format.signedCodes)
        let count = rows * columns
        let maskBytes = (count + 7) / 8
        guard stored.payload.count >= maskBytes else {
            throw EncodingError("sparse-quantized weight \(stored.shape) needs a \(maskBytes)-byte bitmask, payload has \(stored.payload.count) bytes")
        }
        let mask = Array(stored.payload[0..<maskBytes])
        if count % 8 != 0, mask[maskBytes - 1] >> UInt8(count % 8) != 0 {
            throw EncodingError("sparse-quantized weight \(stored.shape) has mask bits set past its last weight")
        }
        let nnz = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        let groups: Int
        switch granularity {
        case .tensor: groups = 1
        case .channel: groups = rows
        case .group(let size): groups = rows * (columns / size)
        }
        let codeBytes = BitPacking.bytesPerRow(columns: nnz, bits: bits)
        let zpBytes = scheme == .affine ? groups : 0
        let expected = maskBytes + codeBytes + groups * 4 + zpBytes
        guard stored.payload.count == expected else {
            throw EncodingError("sparse-quantized weight \(stored.shape) with \(nnz) stored weights at \(bits) bits (\(granularity), \(scheme)) needs \(expected) bytes, has \(stored.payload.count)")
        }
        let scales = Bytes.read(Float.self, from: stored.payload, offset: maskBytes + codeBytes, count: groups)
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EncodingError("sparse-quantized weight: scales must be finite and positive")
        }
        var zps = [Int32](repeating: 0, count: groups)
        if scheme == .affine {
            let start = maskBytes + codeBytes + groups * 4
            for g in 0..<groups {
                let raw = stored.payload[start + g]
                zps[g] = signed ? Int32(Int8(bitPattern: raw)) : Int32(raw)
                guard zps[g] >= format.qmin && zps[g] <= format.qmax else {
                    throw EncodingError("sparse-quantized weight: zero point \(zps[g]) outside [\(format.qmin), \(format.qmax)]")
                }
            }
        }
        let params = QuantParams(format: format, granularity: granularity, rows: rows, columns: columns,
                                 scales: scales, zeroPoints: zps)
        let codes = BitPacking.unpack(Array(stored.payload[maskBytes..<(maskBytes + codeBytes)]),
                                      rows: 1, columns: nnz, bits: bits, signed: signed)
        self.init(params: params, mask: mask, storedCodes: codes)
    }

    public func encoded() -> EncodedTensor {
        var payload = mask + packedCodes
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

    /// The codes of the stored weights, in row-major order.
    public var storedCodes: [Int32] {
        BitPacking.unpack(packedCodes, rows: 1, columns: storedCount, bits: bits, signed: params.format.signedCodes)
    }

    /// Every weight's code, row-major; pruned weights get their group's zero point (value 0).
    public var codes: [Int32] {
        let stored = storedCodes
        var out = [Int32](repeating: 0, count: params.rows * params.columns)
        var next = 0
        for r in 0..<params.rows {
            for c in 0..<params.columns {
                let i = r * params.columns + c
                if mask[i >> 3] >> UInt8(i & 7) & 1 != 0 {
                    out[i] = stored[next]; next += 1
                } else {
                    out[i] = params.zeroPoints[params.group(row: r, column: c)]
                }
            }
        }
        return out
    }

    /// keep[i]: weight i is stored (not pruned).
    public var keep: [Bool] {
        (0..<(params.rows * params.columns)).map { mask[$0 >> 3] >> UInt8($0 & 7) & 1 != 0 }
    }

    public func decoded() -> Tensor { params.dequantize(codes) }

    public var flopsPerSample: Int { execution.flopsPerSample(nonzeros: nonzeroCount, out: outFeatures, in: inFeatures) }
    public var usesSparseKernel: Bool { execution.usesSparseKernel }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        return execution.forward(x)
    }

    /// The payload size for an [out, in] weight with `stored` kept weights.
    public static func payloadSize(params: QuantParams, stored: Int) -> Int {
        let count = params.rows * params.columns
        return (count + 7) / 8 + BitPacking.bytesPerRow(columns: stored, bits: params.format.bits)
            + params.groupCount * (4 + (params.format.scheme == .affine ? 1 : 0))
    }
}

/// Storage for quantized codes, shared by every weight-quantization method and by pruning of
/// an already-quantized layer: `quantized` for a dense layer, `sparse-quantized` (mask + the
/// codes of the kept weights) when the layer was pruned and that is smaller. Pruned weights
/// keep their group's zero point as code, so they decode to exactly zero either way.
public enum QuantizedStorage {
    /// The smaller of `quantized` and `sparse-quantized` for these codes. `keep[i]` false marks
    /// a pruned weight (its code is set to the zero point); nil = nothing pruned.
    public static func smallest(codes: [Int32], params: QuantParams, keep: [Bool]?) -> any LinearWeight {
        guard let keep, keep.contains(false) else { return QuantizedWeight(codes: codes, params: params) }
        let stored = keep.reduce(0) { $0 + ($1 ? 1 : 0) }
        var codes = codes
        for r in 0..<params.rows {
            for c in 0..<params.columns where !keep[r * params.columns + c] {
                codes[r * params.columns + c] = params.zeroPoints[params.group(row: r, column: c)]
            }
        }
        let dense = params.rows * BitPacking.bytesPerRow(columns: params.columns, bits: params.format.bits)
            + params.groupCount * (4 + (params.format.scheme == .affine ? 1 : 0))
        if SparseQuantizedWeight.payloadSize(params: params, stored: stored) < dense {
            return SparseQuantizedWeight(codes: codes, params: params, keep: keep)
        }
        return QuantizedWeight(codes: codes, params: params)
    }

    /// Round-to-nearest quantization of `weight` whose exact zeros are pruned weights: they stay
    /// exactly zero and, when that is smaller, are not stored at all.
    public static func quantizing(_ weight: Tensor, format: QuantFormat, granularity: QuantGranularity,
                                  layer: String = "weight") throws -> any LinearWeight {
        let params = try QuantParams.fit(weight, format: format, granularity: granularity, layer: layer)
        return requantizing(weight, params: params)
    }

    /// `weight` quantized with existing parameters (pruning an already-quantized layer: the
    /// kept values are dequantized codes, so they get the same codes back).
    public static func requantizing(_ weight: Tensor, params: QuantParams) -> any LinearWeight {
        precondition(weight.shape == [params.rows, params.columns], "weight \(weight.shape) does not fit \(params.rows)×\(params.columns) parameters")
        let keep = weight.data.map { $0 != 0 }
        return smallest(codes: params.quantize(weight), params: params, keep: keep)
    }

    /// The quantization parameters of a weight-only quantized layer, or nil.
    public static func params(of weight: any LinearWeight) -> QuantParams? {
        if let q = weight as? QuantizedWeight { return q.params }
        if let q = weight as? SparseQuantizedWeight { return q.params }
        return nil
    }
}
