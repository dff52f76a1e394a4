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

// Cache blocking (GotoBLAS/BLIS loop nest). A kc×NR micro-panel of B stays in L1 (48 KiB),
// an mc×kc block of A in L2 (1 MiB), a kc×nc panel of B in L3.
let gemmKC = 256
let gemmMC = gemmMR * 24
let gemmNC = 4096

/// The vector type of the GEMV / small-m paths: one zmm register with AVX-512, one ymm without.
#if PARE_AVX512
typealias GemmVec = SIMD16<Float>
#else
typealias GemmVec = SIMD8<Float>
#endif

/// C = alpha · op(A) · op(B) + beta · C, row-major, single precision (BLAS sgemm semantics,
/// with leading dimensions counted in elements along a row).
/// op(A) is m×k, op(B) is k×n, C is m×n.
///
/// Large products use a packed, cache-blocked kernel with a register-tiled SIMD microkernel,
/// split across `gemmThreadCount` threads; small m (batch-1 inference) streams op(B) directly.
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

    // Split the larger output dimension into per-thread slices aligned to the register tile.
    let splitN = small || n >= m
    let (unit, extent) = splitN ? (small ? 4 * gemmDotRows : gemmNR, n) : (gemmMR, m)
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
            gemmSmallM(part, m: pm, n: pn, k: k)
        } else {
            gemmBlocked(part, m: pm, n: pn, k: k)
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

// MARK: - Packed, cache-blocked path

/// C += alpha · op(A)·op(B) for one thread's slice: pack B panels (kc×nc) and A blocks (mc×kc)
/// into contiguous micro-panels, then run the register-tile microkernel over them.
private func gemmBlocked(_ g: GemmArgs, m: Int, n: Int, k: Int) {
    let kcMax = min(gemmKC, k)
    let ncMax = min(gemmNC, (n + gemmNR - 1) / gemmNR * gemmNR)
    let mcMax = min(gemmMC, (m + gemmMR - 1) / gemmMR * gemmMR)
    // (A gets 16 floats of slack: its transposing pack may store that far past the end.)
    let bytesB = kcMax * ncMax * 4, bytesA = (kcMax * mcMax + 16) * 4, bytesT = gemmMR * gemmNR * 4
    let buffer = gemmBuffers.take(byteCount: bytesB + bytesA + bytesT)
    defer { gemmBuffers.give(buffer) }
    let raw = buffer.pointer
    let packB = raw.bindMemory(to: Float.self, capacity: bytesB / 4)
    let packA = (raw + bytesB).bindMemory(to: Float.self, capacity: bytesA / 4)
    let tile = (raw + bytesB + bytesA).bindMemory(to: Float.self, capacity: gemmMR * gemmNR)

    var jc = 0
    while jc < n {
        let nc = min(gemmNC, n - jc)
        var pc = 0
        while pc < k {
            let kc = min(gemmKC, k - pc)
            gemmPackB(g, p0: pc, j0: jc, kc: kc, nc: nc, into: packB)
            var ic = 0
            while ic < m {
                let mc = min(gemmMC, m - ic)
                gemmPackA(g, i0: ic, p0: pc, mc: mc, kc: kc, into: packA)
                var jr = 0
                while jr < nc {
                    let nr = min(gemmNR, nc - jr)
                    let bp = UnsafePointer(packB + jr * kc)
                    var ir = 0
                    while ir < mc {
                        let mr = min(gemmMR, mc - ir)
                        let ap = UnsafePointer(packA + ir * kc)
                        let cp = g.c + (ic + ir) * g.ldc + jc + jr
                        if mr == gemmMR && nr == gemmNR {
                            gemmMicrokernel(kc: kc, a: ap, b: bp, c: cp, ldc: g.ldc, alpha: g.alpha)
                        } else {
                            tile.update(repeating: 0, count: gemmMR * gemmNR)
                            gemmMicrokernel(kc: kc, a: ap, b: bp, c: tile, ldc: gemmNR, alpha: g.alpha)
                            for r in 0..<mr {
                                for j in 0..<nr { cp[r * g.ldc + j] += tile[r * gemmNR + j] }
                            }
                        }
                        ir += gemmMR
                    }
                    jr += gemmNR
                }
                ic += gemmMC
            }
            pc += gemmKC
        }
        jc += gemmNC
    }
}

/// Packing buffers kept between calls: a fresh multi-megabyte allocation is a fresh mmap, and
/// faulting its pages in costs more than packing into them at small m.
final class GemmBufferPool: @unchecked Sendable {
    struct Buffer { var pointer: UnsafeMutableRawPointer, byteCount: Int }
    private let lock = NSLock()
    private var free: [Buffer] = []
    /// Buffers beyond this many are released instead of kept (one per thread is the usual need).
    private let keep = 4

    func take(byteCount: Int) -> Buffer {
        lock.lock()
        let i = free.firstIndex { $0.byteCount >= byteCount } ?? free.indices.last
        let found = i.map { free.remove(at: $0) }
        lock.unlock()
        if let found, found.byteCount >= byteCount { return found }
        if let found { found.pointer.deallocate() }
        return Buffer(pointer: .allocate(byteCount: byteCount, alignment: 64), byteCount: byteCount)
    }

    func give(_ buffer: Buffer) {
        lock.lock()
        if free.count < keep {
            free.append(buffer)
            lock.unlock()
        } else {
            lock.unlock()
            buffer.pointer.deallocate()
        }
    }
}

let gemmBuffers = GemmBufferPool()

/// Packs op(A)[i0..<i0+mc, p0..<p0+kc] as micro-panels of gemmMR rows: panel r holds, for each
/// p, the gemmMR values of column p (rows past mc are zero).
@inline(__always)
private func gemmPackA(_ g: GemmArgs, i0: Int, p0: Int, mc: Int, kc: Int,
                       into dst: UnsafeMutablePointer<Float>) {
    var ir = 0
    while ir < mc {
        let mr = min(gemmMR, mc - ir)
        let panel = dst + ir * kc
        if mr < gemmMR { panel.update(repeating: 0, count: gemmMR * kc) }
        if g.transA == .no {
            // Row i of op(A) is contiguous along p: transpose 16×16 blocks in registers.
            packTransposed(src: g.a + (i0 + ir) * g.lda + p0, ld: g.lda, rows: mr, count: kc,
                           dst: panel, dstStride: gemmMR)
        } else {
            // Column p of op(A) is contiguous in memory (a row of A).
            for p in 0..<kc {
                let src = g.a + (p0 + p) * g.lda + i0 + ir
                let d = panel + p * gemmMR
                for r in 0..<mr { d[r] = src[r] }
            }
        }
        ir += gemmMR
    }
}

/// Packs op(B)[p0..<p0+kc, j0..<j0+nc] as micro-panels of gemmNR columns: panel j holds, for
/// each p, the gemmNR values of row p (columns past nc are zero).
@inline(__always)
private func gemmPackB(_ g: GemmArgs, p0: Int, j0: Int, kc: Int, nc: Int,
                       into dst: UnsafeMutablePointer<Float>) {
    var jr = 0
    while jr < nc {
        let nr = min(gemmNR, nc - jr)
        let panel = dst + jr * kc
        if nr < gemmNR { panel.update(repeating: 0, count: gemmNR * kc) }
        if g.transB == .no {
            // Row p of op(B) is contiguous.
            if nr == gemmNR {
                for p in 0..<kc {
                    let src = UnsafeRawPointer(g.b + (p0 + p) * g.ldb + j0 + jr)
                    let d = UnsafeMutableRawPointer(panel + p * gemmNR)
                    var o = 0
                    while o < gemmNR * 4 {
                        d.storeBytes(of: src.loadUnaligned(fromByteOffset: o, as: GemmVec.self),
                                     toByteOffset: o, as: GemmVec.self)
                        o += GemmVec.scalarCount * 4
                    }
                }
            } else {
                for p in 0..<kc {
                    let src = g.b + (p0 + p) * g.ldb + j0 + jr
                    let d = panel + p * gemmNR
                    for j in 0..<nr { d[j] = src[j] }
                }
            }
        } else {
            // op(B) = Bᵀ (the Linear layout, B is [n, k]): column j of op(B) is row j of B,
            // contiguous along p; transpose 16 rows at a time in registers.
            var jb = 0
            while jb < nr {
                packTransposed(src: g.b + (j0 + jr + jb) * g.ldb + p0, ld: g.ldb, rows: min(16, nr - jb),
                               count: kc, dst: panel + jb, dstStride: gemmNR)
                jb += 16
            }
        }
        jr += gemmNR
    }
}

/// dst[q·dstStride + r] = src[r·ld + q] for r in 0..<rows (≤ 16), q in 0..<count, with zeros for
/// r in rows..<min(16, dstStride). Blocks of 16 q are transposed in registers and stored as whole
/// 16-float rows, in increasing address order; when dstStride < 16 each store runs into the next
/// row (rewritten by the next store) and the last one up to 16 − dstStride floats past the end,
/// so the caller leaves that much slack after the destination. (Compilers otherwise turn the
/// strided writes of a transposing copy into AVX-512 scatters, which are slow.)
@inline(__always)
private func packTransposed(src: UnsafePointer<Float>, ld: Int, rows: Int, count: Int,
                            dst: UnsafeMutablePointer<Float>, dstStride: Int) {
    typealias V = SIMD16<Float>
    @inline(__always) func row(_ r: Int, _ q: Int) -> V {
        r < rows ? UnsafeRawPointer(src + (r &* ld &+ q)).loadUnaligned(as: V.self) : V()
    }
    @inline(__always) func unshuffle(_ a: V, _ b: V) -> (V, V) {
        (V(lowHalf: a.evenHalf, highHalf: b.evenHalf), V(lowHalf: a.oddHalf, highHalf: b.oddHalf))
    }
    var q = 0
    while q &+ 16 <= count {
        var v0 = row(0, q), v1 = row(1, q), v2 = row(2, q), v3 = row(3, q)
        var v4 = row(4, q), v5 = row(5, q), v6 = row(6, q), v7 = row(7, q)
        var v8 = row(8, q), v9 = row(9, q), v10 = row(10, q), v11 = row(11, q)
        var v12 = row(12, q), v13 = row(13, q), v14 = row(14, q), v15 = row(15, q)
        // Four perfect unshuffles of the 256-element block rotate its index bits by four: a transpose.
        for _ in 0..<4 {
            let (n0, n8) = unshuffle(v0, v1), (n1, n9) = unshuffle(v2, v3)
            let (n2, n10) = unshuffle(v4, v5), (n3, n11) = unshuffle(v6, v7)
            let (n4, n12) = unshuffle(v8, v9), (n5, n13) = unshuffle(v10, v11)
            let (n6, n14) = unshuffle(v12, v13), (n7, n15) = unshuffle(v14, v15)
            (v0, v1, v2, v3, v4, v5, v6, v7) = (n0, n1, n2, n3, n4, n5, n6, n7)
            (v8, v9, v10, v11, v12, v13, v14, v15) = (n8, n9, n10, n11, n12, n13, n14, n15)
        }
        let d = UnsafeMutableRawPointer(dst + q &* dstStride)
        let step = dstStride &* 4
        d.storeBytes(of: v0, as: V.self); d.storeBytes(of: v1, toByteOffset: step, as: V.self)
        d.storeBytes(of: v2, toByteOffset: 2 &* step, as: V.self)
        d.storeBytes(of: v3, toByteOffset: 3 &* step, as: V.self)
        d.storeBytes(of: v4, toByteOffset: 4 &* step, as: V.self)
        d.storeBytes(of: v5, toByteOffset: 5 &* step, as: V.self)
        d.storeBytes(of: v6, toByteOffset: 6 &* step, as: V.self)
        d.storeBytes(of: v7, toByteOffset: 7 &* step, as: V.self)
        d.storeBytes(of: v8, toByteOffset: 8 &* step, as: V.self)
        d.storeBytes(of: v9, toByteOffset: 9 &* step, as: V.self)
        d.storeBytes(of: v10, toByteOffset: 10 &* step, as: V.self)
        d.storeBytes(of: v11, toByteOffset: 11 &* step, as: V.self)
        d.storeBytes(of: v12, toByteOffset: 12 &* step, as: V.self)
        d.storeBytes(of: v13, toByteOffset: 13 &* step, as: V.self)
        d.storeBytes(of: v14, toByteOffset: 14 &* step, as: V.self)
        d.storeBytes(of: v15, toByteOffset: 15 &* step, as: V.self)
        q &+= 16
    }
    let width = min(16, dstStride)
    while q < count {
        let d = dst + q &* dstStride
        for r in 0..<width { d[r] = r < rows ? src[r &* ld &+ q] : 0 }
        q &+= 1
    }
}

// MARK: - Small m (batch-1 / small-batch inference)

/// Below this many rows of C, op(B) is streamed directly instead of packed: with B in the
/// Linear layout (transB == .yes) by the 4×4 dot-product kernel, which beats the packed path
/// up to m ≈ 24 (measured at 1024×1024)…
#if PARE_AVX512
let gemmSmallM = 24
#else
// With 16 ymm registers the 4×4 dot kernel spills (measured 3× slower than AVX-512 at m = 2…16):
// only batch 1 takes the dot-product path there. (AVX2 thresholds are otherwise untuned.)
let gemmSmallM = 2
#endif
/// …and otherwise (rows of op(B) contiguous) by one axpy pass per row of C, only for tiny m.
let gemmSmallMAxpy = 4
/// Rows of B (columns of C) computed together by the dot-product kernel.
let gemmDotRows = 4

/// C += alpha · op(A)·op(B) for small m, without packing: in the Linear layout (transB == .yes)
/// W is read once, its rows meeting every row of op(A) in SIMD dot products; otherwise each row
/// of C is an axpy pass over the rows of op(B).
private func gemmSmallM(_ g: GemmArgs, m: Int, n: Int, k: Int) {
    // Batch 1 in the Linear layout reads its one contiguous row of A in place: no copy, no
    // allocation per decode step (gemvRows does the k tail element by element).
    if m == 1 && g.transB == .yes && (g.transA == .no || k == 1) {
        gemvRows(x: g.a, k: k, w: g.b, ldw: g.ldb, n: n, alpha: g.alpha, y: g.c)
        return
    }
    // op(A) rows, contiguous and padded with zeros to whole vectors.
    let w = GemmVec.scalarCount
    let kp = (k + w - 1) / w * w
    let x = UnsafeMutablePointer<Float>.allocate(capacity: m * kp)
    defer { x.deallocate() }
    x.update(repeating: 0, count: m * kp)
    for i in 0..<m {
        for p in 0..<k {
            x[i * kp + p] = g.transA == .no ? g.a[i * g.lda + p] : g.a[p * g.lda + i]
        }
    }
    if g.transB == .yes {
        if m == 1 {
            gemvRows(x: x, k: k, w: g.b, ldw: g.ldb, n: n, alpha: g.alpha, y: g.c)
            return
        }
        // One pass over W: a chunk of its rows (kept in L2) meets every group of four rows of
        // op(A) (the last group may be short: gemv4Rows repeats a row and drops its result).
        let chunk = max(4, min(64, (256 << 10) / max(1, 4 * k)) / 4 * 4)
        var j = 0
        while j < n {
            let nj = min(chunk, n - j)
            var i = 0
            while i < m {
                gemv4Rows(x: x + i * kp, ldx: kp, rows: min(4, m - i), k: k, w: g.b + j * g.ldb,
                          ldw: g.ldb, n: nj, alpha: g.alpha, y: g.c + i * g.ldc + j, ldy: g.ldc)
                i += 4
            }
            j += chunk
        }
    } else {
        for i in 0..<m {
            gemvColumns(x: x + i * kp, k: k, b: g.b, ldb: g.ldb, n: n, alpha: g.alpha, y: g.c + i * g.ldc)
        }
    }
}

/// y[j] += alpha · dot(x, w[j, 0..<k]) for j in 0..<n: rows of W streamed four at a time.
/// x is padded with zeros up to a whole vector.
@inline(__always)
private func gemvRows(x: UnsafePointer<Float>, k: Int, w: UnsafePointer<Float>, ldw: Int,
                      n: Int, alpha: Float, y: UnsafeMutablePointer<Float>) {
    let vw = GemmVec.scalarCount
    let kv = k / vw * vw
    let xr = UnsafeRawPointer(x)
    var j = 0
    while j + 4 <= n {
        let r0 = UnsafeRawPointer(w + j * ldw), r1 = UnsafeRawPointer(w + (j + 1) * ldw)
        let r2 = UnsafeRawPointer(w + (j + 2) * ldw), r3 = UnsafeRawPointer(w + (j + 3) * ldw)
        var s0 = GemmVec(), s1 = GemmVec(), s2 = GemmVec(), s3 = GemmVec()
        var o = 0
        let end = kv &* 4
        while o < end {
            let xv = xr.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s0 = s0.addingProduct(xv, r0.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            s1 = s1.addingProduct(xv, r1.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            s2 = s2.addingProduct(xv, r2.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            s3 = s3.addingProduct(xv, r3.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            o &+= vw &* 4
        }
        var d0 = s0.sum(), d1 = s1.sum(), d2 = s2.sum(), d3 = s3.sum()
        var p = kv
        while p < k {
            let xv = x[p]
            d0 += xv * w[j * ldw + p]; d1 += xv * w[(j + 1) * ldw + p]
            d2 += xv * w[(j + 2) * ldw + p]; d3 += xv * w[(j + 3) * ldw + p]
            p += 1
        }
        y[j] += alpha * d0; y[j + 1] += alpha * d1; y[j + 2] += alpha * d2; y[j + 3] += alpha * d3
        j += 4
    }
    while j < n {
        let r0 = UnsafeRawPointer(w + j * ldw)
        var s0 = GemmVec()
        var o = 0
        while o < kv &* 4 {
            s0 = s0.addingProduct(xr.loadUnaligned(fromByteOffset: o, as: GemmVec.self),
                                  r0.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            o &+= vw &* 4
        }
        var d0 = s0.sum()
        for p in kv..<k { d0 += x[p] * w[j * ldw + p] }
        y[j] += alpha * d0
        j += 1
    }
}

/// Y[r, j] += alpha · dot(X[r, 0..<k], W[j, 0..<k]) for r in 0..<rows (1...4), j in 0..<n:
/// a 4×4 block of dot products per step, so each row of W is read once for up to four rows of X.
/// X rows are padded with zeros up to a whole vector; rows past `rows` alias the last one.
@inline(__always)
private func gemv4Rows(x: UnsafePointer<Float>, ldx: Int, rows: Int, k: Int,
                       w: UnsafePointer<Float>, ldw: Int, n: Int, alpha: Float,
                       y: UnsafeMutablePointer<Float>, ldy: Int) {
    let vw = GemmVec.scalarCount
    let kv = k / vw * vw
    let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + min(1, rows - 1) * ldx)
    let x2 = UnsafeRawPointer(x + min(2, rows - 1) * ldx), x3 = UnsafeRawPointer(x + min(3, rows - 1) * ldx)
    var j = 0
    while j < n {
        // Rows of W past n alias the last one (their results are dropped).
        let r0 = UnsafeRawPointer(w + j * ldw), r1 = UnsafeRawPointer(w + min(j + 1, n - 1) * ldw)
        let r2 = UnsafeRawPointer(w + min(j + 2, n - 1) * ldw)
        let r3 = UnsafeRawPointer(w + min(j + 3, n - 1) * ldw)
        var s00 = GemmVec(), s01 = GemmVec(), s02 = GemmVec(), s03 = GemmVec()
        var s10 = GemmVec(), s11 = GemmVec(), s12 = GemmVec(), s13 = GemmVec()
        var s20 = GemmVec(), s21 = GemmVec(), s22 = GemmVec(), s23 = GemmVec()
        var s30 = GemmVec(), s31 = GemmVec(), s32 = GemmVec(), s33 = GemmVec()
        var o = 0
        let end = kv &* 4
        while o < end {
            let w0 = r0.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let w1 = r1.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let w2 = r2.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let w3 = r3.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let a0 = x0.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s00 = s00.addingProduct(a0, w0); s01 = s01.addingProduct(a0, w1)
            s02 = s02.addingProduct(a0, w2); s03 = s03.addingProduct(a0, w3)
            let a1 = x1.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s10 = s10.addingProduct(a1, w0); s11 = s11.addingProduct(a1, w1)
            s12 = s12.addingProduct(a1, w2); s13 = s13.addingProduct(a1, w3)
            let a2 = x2.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s20 = s20.addingProduct(a2, w0); s21 = s21.addingProduct(a2, w1)
            s22 = s22.addingProduct(a2, w2); s23 = s23.addingProduct(a2, w3)
            let a3 = x3.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s30 = s30.addingProduct(a3, w0); s31 = s31.addingProduct(a3, w1)
            s32 = s32.addingProduct(a3, w2); s33 = s33.addingProduct(a3, w3)
            o &+= vw &* 4
        }
        // The k tail (k not a multiple of the vector width) one element at a time.
        var t0 = SIMD4<Float>(), t1 = SIMD4<Float>(), t2 = SIMD4<Float>(), t3 = SIMD4<Float>()
        var p = kv
        while p < k {
            let q = p &* 4
            let wv = SIMD4<Float>(r0.load(fromByteOffset: q, as: Float.self),
                                  r1.load(fromByteOffset: q, as: Float.self),
                                  r2.load(fromByteOffset: q, as: Float.self),
                                  r3.load(fromByteOffset: q, as: Float.self))
            t0 += x0.load(fromByteOffset: q, as: Float.self) * wv
            t1 += x1.load(fromByteOffset: q, as: Float.self) * wv
            t2 += x2.load(fromByteOffset: q, as: Float.self) * wv
            t3 += x3.load(fromByteOffset: q, as: Float.self) * wv
            p &+= 1
        }
        let va = SIMD4<Float>(repeating: alpha)
        let y0 = va * (t0 + SIMD4(s00.sum(), s01.sum(), s02.sum(), s03.sum()))
        let y1 = va * (t1 + SIMD4(s10.sum(), s11.sum(), s12.sum(), s13.sum()))
        let y2 = va * (t2 + SIMD4(s20.sum(), s21.sum(), s22.sum(), s23.sum()))
        let y3 = va * (t3 + SIMD4(s30.sum(), s31.sum(), s32.sum(), s33.sum()))
        let cols = min(4, n - j)
        for c in 0..<cols {
            y[j + c] += y0[c]
            if rows > 1 { y[ldy + j + c] += y1[c] }
            if rows > 2 { y[2 * ldy + j + c] += y2[c] }
            if rows > 3 { y[3 * ldy + j + c] += y3[c] }
        }
        j += 4
    }
}

/// y[0..<n] += alpha · Σ_p x[p] · B[p, 0..<n]: rows of B streamed, y kept hot in cache.
@inline(__always)
private func gemvColumns(x: UnsafePointer<Float>, k: Int, b: UnsafePointer<Float>, ldb: Int,
                         n: Int, alpha: Float, y: UnsafeMutablePointer<Float>) {
    let vw = GemmVec.scalarCount
    let nv = n / vw * vw
    let yr = UnsafeMutableRawPointer(y)
    for p in 0..<k {
        let s = alpha * x[p]
        if s == 0 { continue }
        let sv = GemmVec(repeating: s)
        let br = UnsafeRawPointer(b + p * ldb)
        var o = 0
        while o < nv &* 4 {
            let v = yr.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
                .addingProduct(sv, br.loadUnaligned(fromByteOffset: o, as: GemmVec.self))
            yr.storeBytes(of: v, toByteOffset: o, as: GemmVec.self)
            o &+= vw &* 4
        }
        for j in nv..<n { y[j] += s * b[p * ldb + j] }
    }
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
