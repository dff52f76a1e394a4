/// A sparse weight [out, in] in compressed sparse row form: out+1 row pointers (UInt32), then
/// one column index per nonzero (UInt16 when in ≤ 65535, else UInt32), then the nonzero
/// values (Float32), rows in order and columns ascending within a row.
/// payload = 4·(out+1) + (2|4)·nnz + 4·nnz bytes; `meta["index_bits"]` says 16 or 32.
/// Smaller than the bitmask once fewer than about 1 weight in 16 is nonzero.
public struct SparseCSRWeight: LinearWeight {
    public static let encodingName = "sparse-csr"

    public let csr: CSRMatrix
    public let execution: SparseExecution

    public init(_ weight: Tensor) {
        self.init(csr: CSRMatrix(dense: weight))
    }

    public init(csr: CSRMatrix) {
        self.csr = csr
        execution = SparseExecution(csr)
    }

    public init(decoding stored: EncodedTensor) throws {
        guard stored.shape.count == 2, stored.shape.allSatisfy({ $0 >= 0 }) else {
            throw EncodingError("sparse-csr weight needs a 2-D shape, got \(stored.shape)")
        }
        let rows = stored.shape[0], columns = stored.shape[1]
        let wide = !CSRMatrix.uses16BitIndices(columns: columns)
        if let bits = stored.meta["index_bits"], bits != (wide ? "32" : "16") {
            throw EncodingError("sparse-csr weight \(stored.shape) must use \(wide ? 32 : 16)-bit column indices, meta says \(bits)")
        }
        let pointerBytes = 4 * (rows + 1)
        guard stored.payload.count >= pointerBytes else {
            throw EncodingError("sparse-csr weight \(stored.shape) needs \(pointerBytes) bytes of row pointers, payload has \(stored.payload.count)")
        }
        let rowStart = Bytes.read(UInt32.self, from: stored.payload, count: rows + 1)
        let nnz = Int(rowStart[rows])
        let indexBytes = wide ? 4 : 2
        guard stored.payload.count == pointerBytes + (indexBytes + 4) * nnz else {
            throw EncodingError("sparse-csr weight \(stored.shape) with \(nnz) nonzeros needs \(pointerBytes + (indexBytes + 4) * nnz) bytes, has \(stored.payload.count)")
        }
        let indices: CSRMatrix.Indices = wide
            ? .u32(Bytes.read(UInt32.self, from: stored.payload, offset: pointerBytes, count: nnz))
            : .u16(Bytes.read(UInt16.self, from: stored.payload, offset: pointerBytes, count: nnz))
        let values = Bytes.read(Float.self, from: stored.payload, offset: pointerBytes + indexBytes * nnz, count: nnz)
        self.init(csr: try CSRMatrix(rows: rows, columns: columns, rowStart: rowStart,
                                     columnIndex: indices, values: values))
    }

    public func encoded() -> EncodedTensor {
        let indexBytes: [UInt8]
        switch csr.columnIndex {
        case .u16(let a): indexBytes = Bytes.of(a)
        case .u32(let a): indexBytes = Bytes.of(a)
        }
        let wide = !CSRMatrix.uses16BitIndices(columns: csr.columns)
        return EncodedTensor(encoding: Self.encodingName, shape: [csr.rows, csr.columns],
                             meta: ["index_bits": wide ? "32" : "16"],
                             payload: Bytes.of(csr.rowStart) + indexBytes + Bytes.of(csr.values))
    }

    /// The payload size this encoding would take for an [out, in] matrix with `nonzeros` nonzeros.
    public static func payloadSize(out: Int, in inputs: Int, nonzeros: Int) -> Int {
        4 * (out + 1) + (CSRMatrix.uses16BitIndices(columns: inputs) ? 6 : 8) * nonzeros
    }

    public var outFeatures: Int { csr.rows }
    public var inFeatures: Int { csr.columns }
    public func decoded() -> Tensor { csr.dense() }
    public var nonzeroCount: Int { csr.nonzeroCount }
    public var flopsPerSample: Int { execution.flopsPerSample(nonzeros: csr.nonzeroCount, out: outFeatures, in: inFeatures) }
    public var usesSparseKernel: Bool { execution.usesSparseKernel }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        return execution.forward(x)
    }
}
