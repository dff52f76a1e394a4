import Testing
@testable import PareTensor
import PareTestSupport

/// Sparse and dense test matrices from the target's shared SplitMix64 generator (`TestRNG`).
extension TestRNG {
    /// A matrix with roughly `sparsity` of its entries exactly zero, the rest in ±[0.1, 1.1).
    mutating func sparseMatrix(_ rows: Int, _ columns: Int, sparsity: Double) -> Tensor {
        Tensor(shape: [rows, columns], data: (0..<rows * columns).map { _ in
            let keep = Double(unit()) >= sparsity
            let v = 0.1 + unit()
            return keep ? (next() & 1 == 0 ? v : -v) : 0
        })
    }
    mutating func matrix(_ rows: Int, _ columns: Int) -> Tensor {
        Tensor(shape: [rows, columns], data: (0..<rows * columns).map { _ in unit() * 2 - 1 })
    }
}

/// x · Wᵀ through the reference (Double-accumulated) product.
func referenceForward(_ x: Tensor, _ w: Tensor) -> Tensor {
    var y = Tensor(zeros: [x.rows, w.rows])
    x.data.withUnsafeBufferPointer { xp in
        w.data.withUnsafeBufferPointer { wp in
            y.data.withUnsafeMutableBufferPointer { yp in
                referenceSgemm(.no, .yes, m: x.rows, n: w.rows, k: w.columns, a: xp.baseAddress!, lda: w.columns,
                               b: wp.baseAddress!, ldb: w.columns, c: yp.baseAddress!, ldc: w.rows)
            }
        }
    }
    return y
}

func expectClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-4) {
    #expect(a.shape == b.shape)
    let worst = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "max difference \(worst)")
}

@Suite struct SparseEncodingTests {
    @Test func bitmaskRoundTripsThroughTheRegistry() throws {
        var rng = TestRNG(1)
        let w = rng.sparseMatrix(7, 13, sparsity: 0.6)   // 91 weights: the last mask byte is partial
        let weight = SparseBitmaskWeight(w)
        let stored = weight.encoded()
        #expect(stored.encoding == "sparse-bitmask")
        #expect(stored.payload.count == (91 + 7) / 8 + 4 * w.nonzeroCount)
        let back = try WeightEncodings.decode(stored)
        #expect(back is SparseBitmaskWeight)
        #expect(back.decoded() == w)
        #expect(back.nonzeroCount == w.nonzeroCount)
        #expect(back.encoded() == stored)
    }

    @Test func csrRoundTripsWith16BitIndices() throws {
        var rng = TestRNG(2)
        let w = rng.sparseMatrix(9, 40, sparsity: 0.9)
        let stored = SparseCSRWeight(w).encoded()
        #expect(stored.encoding == "sparse-csr")
        #expect(stored.meta["index_bits"] == "16")
        #expect(stored.payload.count == 4 * 10 + 6 * w.nonzeroCount)
        let back = try WeightEncodings.decode(stored)
        #expect(back is SparseCSRWeight)
        #expect(back.decoded() == w)
        #expect(back.encoded() == stored)
    }

    @Test func csrUses32BitIndicesForWideInputs() throws {
        var w = Tensor(zeros: [2, 70_000])
        w[0, 3] = 1.5
        w[0, 69_999] = -2
        w[1, 65_536] = 0.25
        let stored = SparseCSRWeight(w).encoded()
        #expect(stored.meta["index_bits"] == "32")
        #expect(stored.payload.count == 4 * 3 + 8 * 3)
        let back = try WeightEncodings.decode(stored)
        #expect(back.decoded() == w)
        let x = Tensor(shape: [1, 70_000], data: (0..<70_000).map { Float($0 % 7) })
        #expect(back.forward(x).data == [1.5 * 3 + -2 * Float(69_999 % 7), 0.25 * Float(65_536 % 7)])
    }

    @Test(arguments: [0.95, 0.7, 0.5, 0.0])
    func forwardEqualsDenseForward(sparsity: Double) {
        var rng = TestRNG(3)
        let w = rng.sparseMatrix(37, 50, sparsity: sparsity)
        for batch in [1, 3, 70, 129] {      // GEMV; batched tiles of 64, 16 and the scalar tail
            let x = rng.matrix(batch, 50)
            let expected = referenceForward(x, w)
            expectClose(SparseBitmaskWeight(w).forward(x), expected)
            expectClose(SparseCSRWeight(w).forward(x), expected)
            expectClose(CSRMatrix(dense: w).multiply(x), expected)
        }
    }

    /// A layer with enough nonzeros for the batch-1 kernel to split its rows across threads
    /// (slices of equal nonzero counts) computes what one thread computes.
    @Test func threadedGEMVEqualsReference() {
        var rng = TestRNG(11)
        let w = rng.sparseMatrix(700, 800, sparsity: 0.3)   // ≈ 392k nonzeros ≥ 2^18
        let x = rng.matrix(1, 800)
        let csr = CSRMatrix(dense: w)
        #expect(csr.nonzeroCount >= 1 << 18)
        expectClose(csr.multiply(x), referenceForward(x, w), tolerance: 1e-3)
    }

    @Test func sparseKernelRunsOnlyAtHighSparsityAndFlopsFollowIt() {
        var rng = TestRNG(4)
        let sparse = rng.sparseMatrix(32, 64, sparsity: 0.9)
        let bitmask = SparseBitmaskWeight(sparse)
        #expect(bitmask.usesSparseKernel)
        #expect(bitmask.flopsPerSample == 2 * sparse.nonzeroCount)
        #expect(SparseCSRWeight(sparse).flopsPerSample == 2 * sparse.nonzeroCount)

        let half = rng.sparseMatrix(32, 64, sparsity: 0.5)
        let denser = SparseBitmaskWeight(half)
        #expect(!denser.usesSparseKernel)
        #expect(denser.flopsPerSample == 2 * 32 * 64)
        #expect(denser.nonzeroCount == half.nonzeroCount)

        // 70 % sparse: the CSR kernel at batch 1, dense GEMM for large batches.
        let mid = SparseBitmaskWeight(rng.sparseMatrix(32, 64, sparsity: 0.7))
        #expect(mid.execution.usesSparseKernel(batch: 1))
        #expect(!mid.execution.usesSparseKernel(batch: 64))
        #expect(bitmask.execution.usesSparseKernel(batch: 64))
    }

    @Test func chooserPicksTheSmallestPayload() {
        var rng = TestRNG(5)
        // Exact counts, so the choice is checked at known sparsities.
        func matrix(zeros: Int) -> Tensor {
            var w = rng.sparseMatrix(64, 64, sparsity: 0)
            for i in 0..<zeros { w.data[(i * 7919) % w.count] = 0 }   // 7919 is prime: distinct positions
            return w
        }
        let n = 64 * 64
        // 0 % and 2 % sparse: the bitmask's n/8 bytes cost more than the zeros save → dense.
        #expect(SparseEncoding.best(for: matrix(zeros: 0)) is DenseWeight)
        #expect(SparseEncoding.best(for: matrix(zeros: n / 50)) is DenseWeight)
        // 10 %: bitmask n/8 + 4·0.9n = 0.97 of dense, so it is (slightly) smaller.
        let ten = SparseEncoding.best(for: matrix(zeros: n / 10))
        #expect(ten is SparseBitmaskWeight)
        #expect(ten.storedBytes < 4 * n)
        // 90 %: bitmask (0.525 n bytes) beats CSR (0.6 n + pointers).
        let ninety = SparseEncoding.best(for: matrix(zeros: n * 9 / 10))
        #expect(ninety is SparseBitmaskWeight)
        #expect(ninety.storedBytes == n / 8 + 4 * (n - n * 9 / 10))
        // 99 %: CSR.
        #expect(SparseEncoding.best(for: matrix(zeros: n * 99 / 100)) is SparseCSRWeight)
        // The stored form always decodes to the same weight.
        for zeros in [0, n / 10, n * 99 / 100] {
            let w = matrix(zeros: zeros)
            #expect(SparseEncoding.best(for: w).decoded() == w)
        }
    }

    @Test func malformedPayloadsAreRejected() {
        let w = Tensor(shape: [2, 3], data: [1, 0, 2, 0, 0, 3])
        var bitmask = SparseBitmaskWeight(w).encoded()
        bitmask.payload.removeLast()
        #expect(throws: EncodingError.self) { try SparseBitmaskWeight(decoding: bitmask) }
        var stray = SparseBitmaskWeight(w).encoded()
        stray.payload[0] |= 0x80               // bit 7 is past the 6th weight
        #expect(throws: EncodingError.self) { try SparseBitmaskWeight(decoding: stray) }

        var csr = SparseCSRWeight(w).encoded()
        csr.payload[4 * 3] = 9                  // first column index out of range
        #expect(throws: EncodingError.self) { try SparseCSRWeight(decoding: csr) }
        var short = SparseCSRWeight(w).encoded()
        short.payload.removeLast(4)
        #expect(throws: EncodingError.self) { try SparseCSRWeight(decoding: short) }
        var wrongShape = SparseCSRWeight(w).encoded()
        wrongShape.shape = [6]
        #expect(throws: EncodingError.self) { try WeightEncodings.decode(wrongShape) }
    }
}
