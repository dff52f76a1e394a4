/// A sparse weight [out, in] stored as one bit per weight (1 = nonzero; row-major order, bit
/// i in byte i/8 at position i%8, least significant first; unused trailing bits zero) followed
/// by the nonzero values as Float32 in the same order.
/// payload = ceil(out·in / 8) + 4·nnz bytes; no header (the shape says how many bits, the
/// bits say how many values).
public struct SparseBitmaskWeight: LinearWeight {
    public static let encodingName = "sparse-bitmask"

    public let outFeatures: Int
    public let inFeatures: Int
    /// The bitmask, ceil(out·in / 8) bytes.
    public let mask: [UInt8]
    /// The nonzero values in row-major order.
    public let values: [Float]
    /// The forward pass, built once (CSR kernel or dense, whichever is faster at this density).
    public let execution: SparseExecution

    /// Encodes every value of `weight` that is not exactly zero.
    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "SparseBitmaskWeight needs a matrix, got shape \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        var mask = [UInt8](repeating: 0, count: (weight.count + 7) / 8)
        var values: [Float] = []
        values.reserveCapacity(weight.nonzeroCount)
        for (i, v) in weight.data.enumerated() where v != 0 {
            mask[i >> 3] |= 1 << UInt8(i & 7)
            values.append(v)
        }
        self.mask = mask
        self.values = values
        execution = SparseExecution(CSRMatrix(dense: weight))
    }

    public init(decoding stored: EncodedTensor) throws {
        guard stored.shape.count == 2, stored.shape.allSatisfy({ $0 >= 0 }) else {
            throw EncodingError("sparse-bitmask weight needs a 2-D shape, got \(stored.shape)")
        }
        let count = stored.shape[0] * stored.shape[1]
        let maskBytes = (count + 7) / 8
        guard stored.payload.count >= maskBytes else {
            throw EncodingError("sparse-bitmask weight \(stored.shape) needs a \(maskBytes)-byte bitmask, payload has \(stored.payload.count) bytes")
        }
        let mask = Array(stored.payload[0..<maskBytes])
        if count % 8 != 0, mask[maskBytes - 1] >> UInt8(count % 8) != 0 {
            throw EncodingError("sparse-bitmask weight \(stored.shape) has bits set past its last weight")
        }
        let nnz = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        guard stored.payload.count == maskBytes + 4 * nnz else {
            throw EncodingError("sparse-bitmask weight \(stored.shape) marks \(nnz) nonzeros, so needs \(maskBytes + 4 * nnz) bytes, has \(stored.payload.count)")
        }
        let values = Bytes.read(Float.self, from: stored.payload, offset: maskBytes, count: nnz)
        if let zero = values.firstIndex(of: 0) {
            throw EncodingError("sparse-bitmask weight \(stored.shape) stores a zero as nonzero value \(zero)")
        }
        self.init(shape: stored.shape, mask: mask, values: values)
    }

    private init(shape: [Int], mask: [UInt8], values: [Float]) {
        outFeatures = shape[0]
        inFeatures = shape[1]
        self.mask = mask
        self.values = values
        // Decode to CSR once, here, for the forward pass.
        var rowStart = [UInt32](repeating: 0, count: outFeatures + 1)
        var columns: [Int] = []
        columns.reserveCapacity(values.count)
        for r in 0..<outFeatures {
            for c in 0..<inFeatures {
                let i = r * inFeatures + c
                if mask[i >> 3] >> UInt8(i & 7) & 1 != 0 { columns.append(c) }
            }
            rowStart[r + 1] = UInt32(columns.count)
        }
        let indices: CSRMatrix.Indices = CSRMatrix.uses16BitIndices(columns: inFeatures)
            ? .u16(columns.map { UInt16($0) }) : .u32(columns.map { UInt32($0) })
        // The pointers and indices come from the bitmask itself, so they are valid by construction.
        let csr = try! CSRMatrix(rows: outFeatures, columns: inFeatures, rowStart: rowStart,
                                 columnIndex: indices, values: values)
        execution = SparseExecution(csr)
    }

    public func encoded() -> EncodedTensor {
        EncodedTensor(encoding: Self.encodingName, shape: [outFeatures, inFeatures],
                      payload: mask + Bytes.of(values))
    }

    /// The payload size this encoding would take for a matrix of `count` weights, `nonzeros` of them nonzero.
    public static func payloadSize(count: Int, nonzeros: Int) -> Int { (count + 7) / 8 + 4 * nonzeros }

    public func decoded() -> Tensor {
        var out = Tensor(zeros: [outFeatures, inFeatures])
        var next = 0
        for i in 0..<out.count where mask[i >> 3] >> UInt8(i & 7) & 1 != 0 {
            out.data[i] = values[next]
            next += 1
        }
        return out
    }

    public var nonzeroCount: Int { values.count }
    public var flopsPerSample: Int { execution.flopsPerSample(nonzeros: values.count, out: outFeatures, in: inFeatures) }
    public var usesSparseKernel: Bool { execution.usesSparseKernel }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        return execution.forward(x)
    }
}
