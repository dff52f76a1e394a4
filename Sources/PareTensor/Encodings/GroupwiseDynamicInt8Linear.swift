import Dispatch

/// Dynamic W8A8 with ZeroQuant's group-wise weights (Yao et al. 2022): int8 symmetric weight
/// codes with one scale per group of `groupSize` consecutive input columns of each row, and each
/// input row quantized at run time from its own min/max (per token), as `DynamicInt8Linear`.
/// A group's scale cannot be factored out of the whole row's sum, so each group's integer partial
/// dot product is exact in Int32 and then scaled:
/// y[i, r] = s_x[i] · Σ_g s_w[r, g] · (Σ_{j∈g} q_w[r, j]·q_x[i, j] − zp_x[i]·Σ_{j∈g} q_w[r, j]).
///
/// Stored form (encoding "int8-dynamic-group"): payload = weight codes (Int8, out×in) ‖ weight
/// scales (F32, out × in/group_size, row-major over (row, group)); meta activation_dtype =
/// uint8|int8, group_size.
public struct GroupwiseDynamicInt8Linear: LinearWeight {
    public static let encodingName = "int8-dynamic-group"

    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    public let codes: [Int8]
    public let scales: [Float]
    /// Σ_{j∈g} q_w[r, j] per (row, group): the zero-point term of each partial product.
    public let groupSums: [Int32]
    public let inputFormat: QuantFormat

    public init(rows: Int, columns: Int, groupSize: Int, codes: [Int8], scales: [Float], inputFormat: QuantFormat = .uint8Affine) {
        precondition(groupSize > 0 && columns % groupSize == 0, "group size \(groupSize) must divide \(columns) columns")
        precondition(codes.count == rows * columns && scales.count == rows * (columns / groupSize))
        precondition(inputFormat.bits == 8 && inputFormat.scheme == .affine)
        self.rows = rows
        self.columns = columns
        self.groupSize = groupSize
        self.codes = codes
        self.scales = scales
        self.inputFormat = inputFormat
        var sums = [Int32](repeating: 0, count: scales.count)
        for r in 0..<rows {
            for j in 0..<columns { sums[r * (columns / groupSize) + j / groupSize] += Int32(codes[r * columns + j]) }
        }
        groupSums = sums
    }

    /// Quantizes `weight` ([out, in]) per group of `groupSize` columns, int8 symmetric
    /// (the per-channel rule of `Int8ChannelMatrix`, applied to each group).
    public init(quantizing weight: Tensor, groupSize: Int, activationFormat: QuantFormat = .uint8Affine) throws {
        let params = try QuantParams.fit(weight, format: .int8Symmetric, granularity: .group(groupSize))
        self.init(rows: weight.rows, columns: weight.columns, groupSize: groupSize,
                  codes: params.quantize(weight).map { Int8($0) }, scales: params.scales, inputFormat: activationFormat)
    }

    public init(decoding stored: EncodedTensor) throws {
        let what = Self.encodingName
        let format = try Int8ChannelMatrix.activationFormat(stored, what: what)
        let (rows, columns) = (stored.shape[0], stored.shape[1])
        guard let size = Int(stored.meta["group_size"] ?? ""), size > 0, columns % size == 0 else {
            throw EncodingError("\(what): meta group_size must be a positive divisor of \(columns)")
        }
        let groups = rows * (columns / size)
        guard stored.payload.count == rows * columns + 4 * groups else {
            throw EncodingError("\(what) weight \(stored.shape) needs \(rows * columns + 4 * groups) bytes, has \(stored.payload.count)")
        }
        let codes = stored.payload[0..<(rows * columns)].map { Int8(bitPattern: $0) }
        let scales = Bytes.read(Float.self, from: stored.payload, offset: rows * columns, count: groups)
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EncodingError("\(what): weight scales must be finite and positive")
        }
        self.init(rows: rows, columns: columns, groupSize: size, codes: codes, scales: scales, inputFormat: format)
    }

    public func encoded() -> EncodedTensor {
        EncodedTensor(encoding: Self.encodingName, shape: [rows, columns],
                      meta: ["activation_dtype": inputFormat.signedCodes ? "int8" : "uint8", "group_size": String(groupSize)],
                      payload: codes.map { UInt8(bitPattern: $0) } + Bytes.of(scales))
    }

    public var outFeatures: Int { rows }
    public var inFeatures: Int { columns }
    public var flopsPerSample: Int { 2 * rows * columns }
    public var nonzeroCount: Int { codes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    public func decoded() -> Tensor {
        let groups = columns / groupSize
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for j in 0..<columns { out[r * columns + j] = Float(codes[r * columns + j]) * scales[r * groups + j / groupSize] }
        }
        return Tensor(shape: [rows, columns], data: out)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        let k = columns, n = rows, m = x.rows
        var y = Tensor(zeros: [m, n])
        withActivationScratch(rows: m, columns: k) { u, sx, zpU in
            quantizePerToken(x, format: inputFormat, into: u, scales: sx, offsetZeroPoints: zpU)
            codes.withUnsafeBufferPointer { cw in
                scales.withUnsafeBufferPointer { sw in
                    groupSums.withUnsafeBufferPointer { gs in
                        y.data.withUnsafeMutableBufferPointer { yp in
                            let product = GroupwiseW8A8(w: cw.baseAddress!, scales: sw.baseAddress!, groupSums: gs.baseAddress!,
                                                        u: u, sx: sx, zpU: zpU, y: yp.baseAddress!,
                                                        m: m, n: n, k: k, groupSize: groupSize)
                            // Weight rows split across the cores when the product is worth it.
                            let chunks = m * n * k >= 1 << 21 ? 8 : 1
                            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                product.rows(from: n * c / chunks, to: n * (c + 1) / chunks)
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}

/// The operands of one group-wise W8A8 product (raw pointers; the caller keeps them alive, and
/// each call writes only its own output columns).
private struct GroupwiseW8A8: @unchecked Sendable {
    let w: UnsafePointer<Int8>, scales: UnsafePointer<Float>, groupSums: UnsafePointer<Int32>
    let u: UnsafeMutablePointer<UInt8>, sx: UnsafeMutablePointer<Float>, zpU: UnsafeMutablePointer<Int32>
    let y: UnsafeMutablePointer<Float>
    let m: Int, n: Int, k: Int, groupSize: Int

    /// Offset codes u = q_x − qmin with zpU = zp − qmin leave each group's Σ q_w·(q_x − zp) unchanged.
    func rows(from r0: Int, to r1: Int) {
        let groups = k / groupSize
        for r in r0..<r1 {
            let wRow = w + r * k, sRow = scales + r * groups, sumRow = groupSums + r * groups
            for i in 0..<m {
                let uRow = u + i * k
                var acc: Float = 0
                for g in 0..<groups {
                    let partial = QuantKernels.dotU8(wRow + g * groupSize, uRow + g * groupSize, groupSize) &- zpU[i] &* sumRow[g]
                    acc += Float(partial) * sRow[g]
                }
                y[i * n + r] = acc * sx[i]
            }
        }
    }
}
