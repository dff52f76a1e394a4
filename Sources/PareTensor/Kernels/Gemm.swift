import Dispatch
import Foundation

/// Whether a GEMM operand is read as stored or transposed (BLAS's 'N' / 'T').
public enum Transpose: Sendable { case no, yes }

/// How many threads a large `sgemm` may use (1 forces single-threaded). Defaults to the number
/// of active processors. Read at the start of each call; set it before starting concurrent work.
public nonisolated(unsafe) var gemmThreadCount: Int = ProcessInfo.processInfo.activeProcessorCount

/// Below this many multiply-adds (m·n·k) a call stays on the calling thread.
let gemmParallelThreshold = 1 << 21

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
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    precondition(lda >= max(1, transA == .no ? k : m), "sgemm: lda too small")
    precondition(ldb >= max(1, transB == .no ? n : k), "sgemm: ldb too small")
    precondition(ldc >= max(1, n), "sgemm: ldc too small")
    if m == 0 || n == 0 { return }
    if beta != 1 { gemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc) }
    if k == 0 || alpha == 0 { return }

    let work = m.multipliedReportingOverflow(by: n).partialValue
        .multipliedReportingOverflow(by: k).partialValue
    let maxThreads = work >= gemmParallelThreshold ? max(1, gemmThreadCount) : 1
    let small = m < gemmSmallM

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
        let part = splitN ? args.columns(lo, hi - lo) : args.rows(lo)
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

    /// The same product restricted to output columns j0..<j0+count.
    @inline(__always) func columns(_ j0: Int, _ count: Int) -> GemmArgs {
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
    let bytesB = kcMax * ncMax * 4, bytesA = kcMax * mcMax * 4, bytesT = gemmMR * gemmNR * 4
    let raw = UnsafeMutableRawPointer.allocate(byteCount: bytesB + bytesA + bytesT, alignment: 64)
    defer { raw.deallocate() }
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
            // Row i of op(A) is contiguous: read along it, write with stride MR.
            for r in 0..<mr {
                let src = g.a + (i0 + ir + r) * g.lda + p0
                var d = panel + r
                for p in 0..<kc {
                    d.pointee = src[p]
                    d += gemmMR
                }
            }
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
            // op(B) = Bᵀ (the Linear layout, B is [n, k]): column j of op(B) is row j of B.
            for j in 0..<nr {
                let src = g.b + (j0 + jr + j) * g.ldb + p0
                var d = panel + j
                for p in 0..<kc {
                    d.pointee = src[p]
                    d += gemmNR
                }
            }
        }
        jr += gemmNR
    }
}

// MARK: - Small m (batch-1 / small-batch inference)

/// Below this many rows of C, op(B) is streamed directly instead of packed.
let gemmSmallM = 4
/// Rows of B (columns of C) computed together by the dot-product kernel.
let gemmDotRows = 4

/// C += alpha · op(A)·op(B) for m < gemmSmallM: each row of B (Linear layout) or of op(B)
/// is read once, from memory, with SIMD dot products / axpys.
private func gemmSmallM(_ g: GemmArgs, m: Int, n: Int, k: Int) {
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
        for i in 0..<m {
            gemvRows(x: x + i * kp, k: k, w: g.b, ldw: g.ldb, n: n, alpha: g.alpha, y: g.c + i * g.ldc)
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
