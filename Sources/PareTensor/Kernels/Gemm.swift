import COpenBLAS
import Dispatch
import Foundation

/// Whether a GEMM operand is read as stored or transposed (BLAS's 'N' / 'T').
public enum Transpose: Sendable { case no, yes }

/// How many threads a large `sgemm` may use (1 forces single-threaded). Defaults to the number
/// of active processors. Read at the start of each call; set it before starting concurrent work.
public nonisolated(unsafe) var gemmThreadCount: Int = ProcessInfo.processInfo.activeProcessorCount

/// Below this many multiply-adds (m·n·k) a call stays on the calling thread.
let gemmParallelThreshold = 1 << 21
/// The same for the streaming small-m path: batch-1 products are memory-bound, so a second
/// core adds its own bandwidth from a few hundred KiB of weights on (a decode step's o_proj and
/// down_proj), far below the size where the packed path's threads pay for waking.
let gemvParallelThreshold = 1 << 16

/// Columns (or rows) of C per unit of the threaded split of the packed path.
let gemmSplitUnit = 16

/// C = alpha · op(A) · op(B) + beta · C, row-major, single precision (BLAS sgemm semantics,
/// with leading dimensions counted in elements along a row).
/// op(A) is m×k, op(B) is k×n, C is m×n.
///
/// Large products go to OpenBLAS's packed kernel (the system's libopenblas, which picks the best
/// kernel for the CPU it runs on), split across `gemmThreadCount` threads by Pare; small m
/// (batch-1 and small-batch inference) streams op(B) through Pare's own SIMD dot products.
/// As in BLAS, C is not read when beta == 0.
public func sgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
          beta: beta, c: c, ldc: ldc, threads: gemmThreadCount)
}

/// `sgemm` with an explicit thread budget and parallel threshold (tests use these to exercise
/// the threaded split at small sizes without touching the global).
func sgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
           alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads requested: Int,
           parallelThreshold: Int = gemmParallelThreshold) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    precondition(lda >= max(1, transA == .no ? k : m), "sgemm: lda too small")
    precondition(ldb >= max(1, transB == .no ? n : k), "sgemm: ldb too small")
    precondition(ldc >= max(1, n), "sgemm: ldc too small")
    if m == 0 || n == 0 { return }
    if beta != 1 { gemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc) }
    if k == 0 || alpha == 0 { return }

    let mn = m.multipliedReportingOverflow(by: n), mnk = mn.partialValue.multipliedReportingOverflow(by: k)
    let work = mn.overflow || mnk.overflow ? Int.max : mnk.partialValue
    let small = m < (transB == .yes ? gemmSmallM : gemmSmallMAxpy)
    let threshold = small ? min(parallelThreshold, gemvParallelThreshold) : parallelThreshold
    let maxThreads = work >= threshold ? max(1, requested) : 1

    // Split the larger output dimension into per-thread slices.
    let splitN = small || n >= m
    let (unit, extent) = splitN ? (small ? 4 * gemmDotRows : gemmSplitUnit, n) : (gemmSplitUnit, m)
    let units = (extent + unit - 1) / unit
    let threads = min(maxThreads, units)
    let args = GemmArgs(transA: transA, transB: transB, alpha: alpha,
                        a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)

    @Sendable @inline(__always) func run(_ t: Int, _ threads: Int) {
        let lo = (units * t / threads) * unit
        let hi = min(extent, (units * (t + 1) / threads) * unit)
        if lo >= hi { return }
        let part = splitN ? args.columns(lo) : args.rows(lo)
        let pm = splitN ? m : hi - lo
        let pn = splitN ? hi - lo : n
        if small {
            gemmStreamed(part, m: pm, n: pn, k: k)
        } else {
            gemmPacked(part, m: pm, n: pn, k: k)
        }
    }
    if threads <= 1 {
        run(0, 1)
    } else {
        DispatchQueue.concurrentPerform(iterations: threads) { t in run(t, threads) }
    }
}

/// The operands of one call, passed to worker threads (raw pointers: the caller keeps them alive).
struct GemmArgs: @unchecked Sendable {
    var transA: Transpose, transB: Transpose, alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var c: UnsafeMutablePointer<Float>, ldc: Int

    /// The same product restricted to output columns from j0 on.
    @inline(__always) func columns(_ j0: Int) -> GemmArgs {
        var r = self
        r.b = transB == .no ? b + j0 : b + j0 * ldb
        r.c = c + j0
        return r
    }

    /// The same product restricted to output rows from i0 on.
    @inline(__always) func rows(_ i0: Int) -> GemmArgs {
        var r = self
        r.a = transA == .no ? a + i0 * lda : a + i0
        r.c = c + i0 * ldc
        return r
    }
}

/// C = beta · C (C set to zero, not multiplied, when beta == 0, so NaNs in C do not survive).
@inline(__always)
private func gemmScale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else {
            for j in 0..<n { row[j] *= beta }
        }
    }
}

// MARK: - Packed path (OpenBLAS)

/// OpenBLAS's own thread pool stays at one thread: Pare splits a product across its threads
/// itself (above), so an sgemm called from Pare's concurrent work (attention heads, sibling
/// projections, tiled quantized products) never starts a second pool on the same cores.
private let openBLASSingleThreaded: Void = openblas_set_num_threads(1)

/// C += alpha · op(A)·op(B) for one thread's slice, by OpenBLAS's packed, cache-blocked kernel
/// (measured 1.5× faster than Pare's own Swift microkernel at 1024³ on AVX2; see `pare-bench gemm`).
private func gemmPacked(_ g: GemmArgs, m: Int, n: Int, k: Int) {
    _ = openBLASSingleThreaded
    let limit = Int(Int32.max)
    precondition(m <= limit && n <= limit && k <= limit && g.lda <= limit && g.ldb <= limit && g.ldc <= limit,
                 "sgemm: a dimension exceeds OpenBLAS's 32-bit integers")
    cblas_sgemm(CblasRowMajor, g.transA == .no ? CblasNoTrans : CblasTrans, g.transB == .no ? CblasNoTrans : CblasTrans,
                blasint(m), blasint(n), blasint(k), g.alpha, g.a, blasint(g.lda), g.b, blasint(g.ldb),
                1, g.c, blasint(g.ldc))
}

// MARK: - Reference

/// The textbook triple loop, accumulated in Double: the reference the fast kernel is tested against.
public func referenceSgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                           b: UnsafePointer<Float>, ldb: Int,
                           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let av = transA == .no ? a[i * lda + p] : a[p * lda + i]
                let bv = transB == .no ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(av) * Double(bv)
            }
            let prior = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(sum) + prior
        }
    }
}
