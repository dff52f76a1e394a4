import Testing
@testable import PareTensor
import PareTestSupport

/// Deterministic pseudo-random floats in [-1, 1) (SplitMix64), so failures reproduce.
private func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed)
    return (0..<count).map { _ in rng.uniform() }
}

/// Runs sgemm and referenceSgemm on the same random operands (with leading dimensions padded by
/// `pad`) and checks every element of C, padding included (it must be left untouched).
private func check(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int,
                   alpha: Float = 1, beta: Float = 0, pad: Int = 0, threads: Int = 1, parallelThreshold: Int = 0,
                   seed: UInt64 = 1) {
    let (aRows, aCols) = ta == .no ? (m, k) : (k, m)
    let (bRows, bCols) = tb == .no ? (k, n) : (n, k)
    let lda = max(1, aCols) + pad, ldb = max(1, bCols) + pad, ldc = max(1, n) + pad
    let a = randomFloats(max(1, aRows * lda), seed: seed)
    let b = randomFloats(max(1, bRows * ldb), seed: seed &+ 1)
    let c0 = randomFloats(max(1, m * ldc), seed: seed &+ 2)
    var fast = c0, ref = c0
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            fast.withUnsafeMutableBufferPointer { pc in
                sgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                      b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc,
                      threads: threads, parallelThreshold: parallelThreshold)
            }
            ref.withUnsafeMutableBufferPointer { pc in
                referenceSgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                               b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
            }
        }
    }
    // Entries are sums of k products of values in [-1, 1): scale the tolerance with sqrt(k).
    let tolerance = 1e-4 * Float(max(1, k)).squareRoot() * max(1, abs(alpha)) + 1e-5
    var bad = 0
    for i in 0..<fast.count where !(abs(fast[i] - ref[i]) <= tolerance * max(1, abs(ref[i]))) {
        if bad < 3 {
            let what = "\(ta),\(tb) m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta) pad=\(pad): "
                + "C[\(i / ldc), \(i % ldc)] = \(fast[i]), expected \(ref[i])"
            Issue.record(Comment(rawValue: what))
        }
        bad += 1
    }
    #expect(bad == 0)
}

private let combos: [(Transpose, Transpose)] = [(.no, .no), (.no, .yes), (.yes, .no), (.yes, .yes)]
private let oddSizes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (1, 17, 33), (7, 5, 3), (2, 3, 70), (3, 40, 19), (4, 33, 17), (14, 32, 8), (15, 33, 9),
    (13, 250, 67), (65, 129, 257), (29, 31, 300),
]

@Suite struct GemmTests {
    @Test(arguments: 0..<4)
    func oddSizesAllTransposes(combo: Int) {
        let (ta, tb) = combos[combo]
        for s in oddSizes { check(ta, tb, m: s.m, n: s.n, k: s.k) }
    }

    @Test(arguments: 0..<4)
    func alphaBetaAndPaddedLeadingDimensions(combo: Int) {
        let (ta, tb) = combos[combo]
        for (alpha, beta) in [(Float(1), Float(1)), (0.5, -2), (-1.5, 0), (0, 0.25)] {
            check(ta, tb, m: 9, n: 37, k: 21, alpha: alpha, beta: beta, pad: 3)
            check(ta, tb, m: 1, n: 19, k: 40, alpha: alpha, beta: beta, pad: 5)
            check(ta, tb, m: 30, n: 70, k: 300, alpha: alpha, beta: beta, pad: 1)
        }
    }

    @Test(arguments: 0..<4)
    func gemvAndSmallBatch(combo: Int) {
        let (ta, tb) = combos[combo]
        for m in [1, 2, 3, 4, 5, 8, 9, 23, 24, 25] {
            check(ta, tb, m: m, n: 67, k: 129)
            check(ta, tb, m: m, n: 3, k: 5, beta: 1, pad: 2)
        }
    }

    /// The threaded split (forced below the size threshold): over m (m > n), over n, the
    /// small-m path, and more threads than tiles.
    @Test(arguments: 0..<4)
    func multiThreaded(combo: Int) {
        let (ta, tb) = combos[combo]
        check(ta, tb, m: 61, n: 37, k: 30, beta: 0.5, pad: 1, threads: 2)
        check(ta, tb, m: 30, n: 101, k: 20, threads: 3)
        check(ta, tb, m: 1, n: 150, k: 40, threads: 2)
        check(ta, tb, m: 6, n: 71, k: 33, threads: 2)
        check(ta, tb, m: 3, n: 5, k: 7, threads: 8)
    }

    /// One product just above the real size threshold.
    @Test func aboveParallelThreshold() {
        check(.no, .yes, m: 130, n: 129, k: 128, threads: 2, parallelThreshold: gemmParallelThreshold)
    }

    /// Shapes larger than OpenBLAS's cache blocks on every CPU it targets (m > 400, n > 4096,
    /// k > 512), split across threads by Pare.
    @Test func acrossCacheBlocks() {
        check(.no, .yes, m: 405, n: 20, k: 7, threads: 2)
        check(.yes, .no, m: 9, n: 4136, k: 5)
        check(.no, .no, m: 70, n: 33, k: 2 * 384 + 3, alpha: 2, beta: -1, threads: 2)
    }

    /// Every batch size from a decode step to past the small-m path's threshold (m = 1…70), with
    /// n and k not multiples of the vector width or the dot kernels' 2×4 / 4×4 blocks, beta ≠ 0,
    /// on one thread and split over two.
    @Test(arguments: 0..<4)
    func everySmallBatchSize(combo: Int) {
        let (ta, tb) = combos[combo]
        for m in 1...70 {
            check(ta, tb, m: m, n: 37, k: 45, beta: 0.5, seed: UInt64(m))
            if m % 7 == 0 { check(ta, tb, m: m, n: 70, k: 19, alpha: -1, pad: 2, threads: 2, seed: UInt64(m)) }
        }
    }

    /// The public entry point reads the global thread budget.
    @Test func publicEntryPoint() {
        let a = randomFloats(20 * 30, seed: 7), b = randomFloats(40 * 30, seed: 8)
        var c = [Float](repeating: 0, count: 20 * 40), r = c
        sgemm(.no, .yes, m: 20, n: 40, k: 30, a: a, lda: 30, b: b, ldb: 30, c: &c, ldc: 40)
        referenceSgemm(.no, .yes, m: 20, n: 40, k: 30, a: a, lda: 30, b: b, ldb: 30, c: &r, ldc: 40)
        for i in 0..<c.count { #expect(abs(c[i] - r[i]) <= 1e-4 * max(1, abs(r[i]))) }
    }

    @Test func degenerateShapes() {
        // k == 0: C = beta · C; beta == 0 clears C even if it held NaN.
        var c: [Float] = [.nan, 2, 3, 4]
        let a: [Float] = [1], b: [Float] = [1]
        sgemm(.no, .no, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        #expect(c == [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        sgemm(.no, .no, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 2, c: &c, ldc: 2)
        #expect(c == [2, 4, 6, 8])
        // m == 0 or n == 0: nothing happens.
        sgemm(.no, .yes, m: 0, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 3, c: &c, ldc: 2)
        #expect(c == [2, 4, 6, 8])
    }
}
