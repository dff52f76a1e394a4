/// A sparse matrix [rows, columns] in compressed sparse row form, as the sparse kernels run it:
/// the nonzeros of row r are `values[rowStart[r] ..< rowStart[r + 1]]` at columns
/// `columnIndex[…]`, ascending. Column indices are UInt16 when they fit (less memory traffic
/// per nonzero: 6 bytes instead of 8), else UInt32.
public struct CSRMatrix: Sendable, Equatable {
    public enum Indices: Sendable, Equatable {
        case u16([UInt16])
        case u32([UInt32])

        public var count: Int {
            switch self { case .u16(let a): a.count; case .u32(let a): a.count }
        }
        public subscript(i: Int) -> Int {
            switch self { case .u16(let a): Int(a[i]); case .u32(let a): Int(a[i]) }
        }
    }

    public let rows: Int
    public let columns: Int
    public let rowStart: [UInt32]
    public let columnIndex: Indices
    public let values: [Float]

    /// Whether column indices of a matrix this wide are stored in 16 bits.
    public static func uses16BitIndices(columns: Int) -> Bool { columns <= Int(UInt16.max) }

    /// Validated construction from raw arrays; throws `EncodingError` when they do not describe
    /// a [rows, columns] CSR matrix (pointers not monotonic, indices out of range or not ascending).
    public init(rows: Int, columns: Int, rowStart: [UInt32], columnIndex: Indices, values: [Float]) throws {
        guard rows >= 0, columns >= 0 else { throw EncodingError("CSR matrix has a negative dimension \(rows)×\(columns)") }
        guard rowStart.count == rows + 1 else {
            throw EncodingError("CSR matrix with \(rows) rows needs \(rows + 1) row pointers, has \(rowStart.count)")
        }
        guard rowStart.first == 0, Int(rowStart.last!) == values.count, columnIndex.count == values.count else {
            throw EncodingError("CSR row pointers end at \(rowStart.last!) but there are \(values.count) values and \(columnIndex.count) column indices")
        }
        for r in 0..<rows {
            let start = Int(rowStart[r]), end = Int(rowStart[r + 1])
            guard start <= end else { throw EncodingError("CSR row pointers decrease at row \(r)") }
            var previous = -1
            for k in start..<end {
                let c = columnIndex[k]
                guard c > previous, c < columns else {
                    throw EncodingError("CSR row \(r) has column index \(c) out of order or ≥ \(columns)")
                }
                previous = c
            }
        }
        self.rows = rows
        self.columns = columns
        self.rowStart = rowStart
        self.columnIndex = columnIndex
        self.values = values
    }

    /// The nonzeros of a dense matrix (exact zeros, including −0, are dropped).
    public init(dense: Tensor) {
        precondition(dense.rank == 2, "CSRMatrix needs a matrix, got shape \(dense.shape)")
        let rows = dense.shape[0], columns = dense.shape[1]
        var rowStart = [UInt32](repeating: 0, count: rows + 1)
        var cols: [Int] = []
        var values: [Float] = []
        let nnz = dense.nonzeroCount
        cols.reserveCapacity(nnz)
        values.reserveCapacity(nnz)
        dense.data.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                for c in 0..<columns where w[r * columns + c] != 0 {
                    cols.append(c)
                    values.append(w[r * columns + c])
                }
                rowStart[r + 1] = UInt32(values.count)
            }
        }
        self.rows = rows
        self.columns = columns
        self.rowStart = rowStart
        self.columnIndex = Self.uses16BitIndices(columns: columns)
            ? .u16(cols.map { UInt16($0) }) : .u32(cols.map { UInt32($0) })
        self.values = values
    }

    public var nonzeroCount: Int { values.count }

    public func dense() -> Tensor {
        var out = Tensor(zeros: [rows, columns])
        for r in 0..<rows {
            for k in Int(rowStart[r])..<Int(rowStart[r + 1]) {
                out.data[r * columns + columnIndex[k]] = values[k]
            }
        }
        return out
    }

    /// y = x · Wᵀ for x of shape [batch, columns]; returns [batch, rows].
    /// Batch 1 runs a gathering GEMV (per row: Σ values[k] · x[col[k]]); larger batches
    /// transpose x in tiles of 64 samples so each nonzero scales a contiguous run (SIMD axpy).
    public func multiply(_ x: Tensor) -> Tensor {
        precondition(x.columns == columns, "input width \(x.columns) ≠ sparse matrix columns \(columns)")
        let batch = x.rows
        var y = Tensor(zeros: [batch, rows])
        switch columnIndex {
        case .u16(let ci): Self.run(ci, rowStart, values, x, &y, rows: rows, columns: columns)
        case .u32(let ci): Self.run(ci, rowStart, values, x, &y, rows: rows, columns: columns)
        }
        return y
    }

    private static func run<I: FixedWidthInteger & UnsignedInteger>(
        _ ci: [I], _ rowStart: [UInt32], _ values: [Float], _ x: Tensor, _ y: inout Tensor,
        rows: Int, columns: Int
    ) {
        let batch = x.rows
        ci.withUnsafeBufferPointer { cp in
            rowStart.withUnsafeBufferPointer { rp in
                values.withUnsafeBufferPointer { vp in
                    y.data.withUnsafeMutableBufferPointer { yp in
                        if batch == 1 {
                            x.data.withUnsafeBufferPointer { xp in
                                // Large layers split their rows across the cores, as the dense
                                // GEMV does, in slices of equal nonzero counts.
                                let nonzeros = Int(rp[rows])
                                let threads = nonzeros >= 1 << 18 ? min(gemmThreadCount, rows) : 1
                                let slices = (0...threads).map { t in
                                    t == threads ? rows : rowSlice(rp.baseAddress!, rows: rows, nonzeros: nonzeros * t / threads)
                                }
                                SparseThreads.parallelFor(threads) { t in
                                    let r0 = slices[t]
                                    sparseGEMV(rows: slices[t + 1] - r0, rowStart: rp.baseAddress! + r0,
                                               columnIndex: cp.baseAddress!, values: vp.baseAddress!,
                                               x: xp.baseAddress!, y: yp.baseAddress! + r0)
                                }
                            }
                        } else {
                            x.data.withUnsafeBufferPointer { xp in
                                sparseBatchedTiles(rows: rows, columns: columns, batch: batch, rowStart: rp.baseAddress!,
                                                   columnIndex: cp.baseAddress!, values: vp.baseAddress!,
                                                   x: xp.baseAddress!, y: yp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The first row whose nonzeros start at or after `nonzeros` (binary search over row starts).
func rowSlice(_ rowStart: UnsafePointer<UInt32>, rows: Int, nonzeros: Int) -> Int {
    var low = 0, high = rows
    while low < high {
        let mid = (low + high) / 2
        if Int(rowStart[mid]) < nonzeros { low = mid + 1 } else { high = mid }
    }
    return low
}

/// Batch-1 sparse GEMV: y[r] = Σ_k values[k] · x[columnIndex[k]] over row r's nonzeros.
/// Eight products at a time go into a SIMD accumulator (gathered x, contiguous values).
@inline(__always)
func sparseGEMV<I: FixedWidthInteger & UnsignedInteger>(
    rows: Int, rowStart: UnsafePointer<UInt32>, columnIndex: UnsafePointer<I>,
    values: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
) {
    let rawValues = UnsafeRawPointer(values)
    for r in 0..<rows {
        var k = Int(rowStart[r])
        let end = Int(rowStart[r + 1])
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        while k + 16 <= end {
            let c = columnIndex + k
            let g0 = SIMD8<Float>(x[Int(c[0])], x[Int(c[1])], x[Int(c[2])], x[Int(c[3])],
                                  x[Int(c[4])], x[Int(c[5])], x[Int(c[6])], x[Int(c[7])])
            let g1 = SIMD8<Float>(x[Int(c[8])], x[Int(c[9])], x[Int(c[10])], x[Int(c[11])],
                                  x[Int(c[12])], x[Int(c[13])], x[Int(c[14])], x[Int(c[15])])
            acc0.addProduct(rawValues.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self), g0)
            acc1.addProduct(rawValues.loadUnaligned(fromByteOffset: (k + 8) * 4, as: SIMD8<Float>.self), g1)
            k += 16
        }
        if k + 8 <= end {
            let c = columnIndex + k
            let g0 = SIMD8<Float>(x[Int(c[0])], x[Int(c[1])], x[Int(c[2])], x[Int(c[3])],
                                  x[Int(c[4])], x[Int(c[5])], x[Int(c[6])], x[Int(c[7])])
            acc0.addProduct(rawValues.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self), g0)
            k += 8
        }
        var sum = (acc0 + acc1).sum()
        while k < end {
            sum += values[k] * x[Int(columnIndex[k])]
            k += 1
        }
        y[r] = sum
    }
}

/// Batched sparse product, y = x · Wᵀ for x [batch, columns]. The batch is cut into tiles of
/// up to 64 samples; each tile is transposed into its own contiguous [columns, width] block
/// (≤ 1 MB at 4096 inputs, so it stays in L2), and every nonzero of a row then scales a
/// contiguous run of the tile (16-wide SIMD FMAs, four accumulators in registers). Tiles are
/// independent, so large batches split them across threads.
func sparseBatchedTiles<I: FixedWidthInteger & UnsignedInteger>(
    rows: Int, columns: Int, batch: Int, rowStart: UnsafePointer<UInt32>, columnIndex: UnsafePointer<I>,
    values: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
) {
    let tile = 64
    let tiles = (batch + tile - 1) / tile
    let work = { (t: Int) in
        let b0 = t * tile
        let width = min(tile, batch - b0)
        let padded = (width + 15) / 16 * 16
        let xt = UnsafeMutablePointer<Float>.allocate(capacity: columns * padded)
        let yt = UnsafeMutablePointer<Float>.allocate(capacity: rows * padded)
        defer { xt.deallocate(); yt.deallocate() }
        xt.initialize(repeating: 0, count: columns * padded)
        for b in 0..<width {
            let src = x + (b0 + b) * columns
            for c in 0..<columns { xt[c * padded + b] = src[c] }
        }
        sparseTile(rows: rows, width: padded, rowStart: rowStart, columnIndex: columnIndex, values: values,
                   xt: xt, yt: yt)
        for r in 0..<rows {
            let src = yt + r * padded
            for b in 0..<width { y[(b0 + b) * rows + r] = src[b] }
        }
    }
    // Threads pay only when there is enough work per tile (≥ ~2 MFLOP each).
    let nonzeros = Int(rowStart[rows])
    if tiles > 1 && nonzeros * tile >= 1 << 20 {
        SparseThreads.parallelFor(tiles, work)
    } else {
        for t in 0..<tiles { work(t) }
    }
}

/// yt[r, :] = Σ_k values[k] · xt[col[k], :] for one tile of `width` (a multiple of 16) samples.
@inline(__always)
func sparseTile<I: FixedWidthInteger & UnsignedInteger>(
    rows: Int, width: Int, rowStart: UnsafePointer<UInt32>, columnIndex: UnsafePointer<I>,
    values: UnsafePointer<Float>, xt: UnsafePointer<Float>, yt: UnsafeMutablePointer<Float>
) {
    let raw = UnsafeRawPointer(xt)
    let out = UnsafeMutableRawPointer(yt)
    for r in 0..<rows {
        let start = Int(rowStart[r]), end = Int(rowStart[r + 1])
        if width == 64 {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            for k in start..<end {
                let v = SIMD16<Float>(repeating: values[k])
                let base = Int(columnIndex[k]) * 256
                a0.addProduct(v, raw.loadUnaligned(fromByteOffset: base, as: SIMD16<Float>.self))
                a1.addProduct(v, raw.loadUnaligned(fromByteOffset: base + 64, as: SIMD16<Float>.self))
                a2.addProduct(v, raw.loadUnaligned(fromByteOffset: base + 128, as: SIMD16<Float>.self))
                a3.addProduct(v, raw.loadUnaligned(fromByteOffset: base + 192, as: SIMD16<Float>.self))
            }
            let o = r * 256
            out.storeBytes(of: a0, toByteOffset: o, as: SIMD16<Float>.self)
            out.storeBytes(of: a1, toByteOffset: o + 64, as: SIMD16<Float>.self)
            out.storeBytes(of: a2, toByteOffset: o + 128, as: SIMD16<Float>.self)
            out.storeBytes(of: a3, toByteOffset: o + 192, as: SIMD16<Float>.self)
        } else {
            var j = 0
            while j < width {
                var a0 = SIMD16<Float>()
                for k in start..<end {
                    let base = (Int(columnIndex[k]) * width + j) * 4
                    a0.addProduct(SIMD16<Float>(repeating: values[k]), raw.loadUnaligned(fromByteOffset: base, as: SIMD16<Float>.self))
                }
                out.storeBytes(of: a0, toByteOffset: (r * width + j) * 4, as: SIMD16<Float>.self)
                j += 16
            }
        }
    }
}

/// A simple SIMD dense GEMV y = W·x (W [rows, columns] row-major), one thread: the honest
/// batch-1 baseline the sparse kernel is measured against, beside `sgemm`.
public func denseGEMV(rows: Int, columns: Int, w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                      y: UnsafeMutablePointer<Float>) {
    let rw = UnsafeRawPointer(w), rx = UnsafeRawPointer(x)
    for r in 0..<rows {
        let row = r * columns * 4
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var c = 0
        while c + 64 <= columns {
            a0.addProduct(rw.loadUnaligned(fromByteOffset: row + c * 4, as: SIMD16<Float>.self),
                          rx.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self))
            a1.addProduct(rw.loadUnaligned(fromByteOffset: row + c * 4 + 64, as: SIMD16<Float>.self),
                          rx.loadUnaligned(fromByteOffset: c * 4 + 64, as: SIMD16<Float>.self))
            a2.addProduct(rw.loadUnaligned(fromByteOffset: row + c * 4 + 128, as: SIMD16<Float>.self),
                          rx.loadUnaligned(fromByteOffset: c * 4 + 128, as: SIMD16<Float>.self))
            a3.addProduct(rw.loadUnaligned(fromByteOffset: row + c * 4 + 192, as: SIMD16<Float>.self),
                          rx.loadUnaligned(fromByteOffset: c * 4 + 192, as: SIMD16<Float>.self))
            c += 64
        }
        while c + 16 <= columns {
            a0.addProduct(rw.loadUnaligned(fromByteOffset: row + c * 4, as: SIMD16<Float>.self),
                          rx.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self))
            c += 16
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while c < columns { s += w[r * columns + c] * x[c]; c += 1 }
        y[r] = s
    }
}
