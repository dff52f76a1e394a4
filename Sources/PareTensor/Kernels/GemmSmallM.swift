// Small m (batch-1 / small-batch inference): op(B) streamed, not packed.

/// The vector type of the GEMV / small-m paths: one zmm register with AVX-512, one ymm without.
#if PARE_AVX512
typealias GemmVec = SIMD16<Float>
#else
typealias GemmVec = SIMD8<Float>
#endif

/// Below this many rows of C, op(B) is streamed directly instead of packed: with B in the
/// Linear layout (transB == .yes) by the dot-product kernels, which read each row of W once per
/// `gemmDotBatch` rows of op(A) and beat the packed path up to m ≈ 24 (AVX-512, Pare's own
/// packed kernel, measured at 1024×1024) or m ≈ 48 (AVX2, against OpenBLAS's: `pare-bench gemm`
/// measured them equal at m = 48 and 64 and the streamed path 1.07–4.4× faster below)…
#if PARE_AVX512
let gemmSmallM = 24
/// Rows of op(A) per pass of the dot-product kernel (4×4 blocks: 16 of the 32 zmm registers).
let gemmDotBatch = 4
#else
let gemmSmallM = 48
/// With 16 ymm registers a 4×4 block of accumulators spills (measured 3× slower): 2×4 blocks.
let gemmDotBatch = 2
#endif
/// …and otherwise (rows of op(B) contiguous) by one axpy pass per row of C, only for tiny m.
let gemmSmallMAxpy = 4
/// Rows of B (columns of C) computed together by the dot-product kernel.
let gemmDotRows = 4

/// C += alpha · op(A)·op(B) for small m, without packing: in the Linear layout (transB == .yes)
/// W is read once, its rows meeting every row of op(A) in SIMD dot products; otherwise each row
/// of C is an axpy pass over the rows of op(B).
func gemmStreamed(_ g: GemmArgs, m: Int, n: Int, k: Int) {
    // Batch 1 in the Linear layout reads its one contiguous row of A in place: no copy, no
    // allocation per decode step (gemvRows does the k tail element by element).
    if m == 1 && g.transB == .yes && (g.transA == .no || k == 1) {
        gemvRows(x: g.a, k: k, w: g.b, ldw: g.ldb, n: n, alpha: g.alpha, y: g.c)
        return
    }
    // The axpy kernel reads op(A) one scalar at a time, so rows of A as stored need no copy
    // (a decode step's attention-weighted sum of values allocates nothing).
    if g.transB == .no && g.transA == .no {
        for i in 0..<m {
            gemvColumns(x: g.a + i * g.lda, k: k, b: g.b, ldb: g.ldb, n: n, alpha: g.alpha, y: g.c + i * g.ldc)
        }
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
        // One pass over W: a chunk of its rows (kept in L2) meets every group of rows of op(A)
        // (with AVX-512 the last group may be short: gemv4Rows repeats a row and drops its
        // result; with AVX2 an odd last row is a plain GEMV).
        let chunk = max(4, min(64, (256 << 10) / max(1, 4 * k)) / 4 * 4)
        var j = 0
        while j < n {
            let nj = min(chunk, n - j)
            var i = 0
            while i < m {
                let rows = min(gemmDotBatch, m - i)
                let (xi, wj, yij) = (x + i * kp, g.b + j * g.ldb, g.c + i * g.ldc + j)
                #if PARE_AVX512
                gemv4Rows(x: xi, ldx: kp, rows: rows, k: k, w: wj, ldw: g.ldb, n: nj, alpha: g.alpha, y: yij, ldy: g.ldc)
                #else
                if rows == 2 {
                    gemv2Rows(x: xi, ldx: kp, k: k, w: wj, ldw: g.ldb, n: nj, alpha: g.alpha, y: yij, ldy: g.ldc)
                } else {
                    gemvRows(x: xi, k: k, w: wj, ldw: g.ldb, n: nj, alpha: g.alpha, y: yij)
                }
                #endif
                i += gemmDotBatch
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

/// Y[r, j] += alpha · dot(X[r, 0..<k], W[j, 0..<k]) for r in 0..<2, j in 0..<n: a 2×4 block of
/// dot products per step (8 accumulators, 4 rows of W and 2 of X: 14 of AVX2's 16 registers),
/// so each row of W is read once for both rows of X. X rows are padded with zeros to a whole vector.
@inline(__always)
private func gemv2Rows(x: UnsafePointer<Float>, ldx: Int, k: Int, w: UnsafePointer<Float>, ldw: Int,
                       n: Int, alpha: Float, y: UnsafeMutablePointer<Float>, ldy: Int) {
    let vw = GemmVec.scalarCount
    let kv = k / vw * vw
    let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + ldx)
    var j = 0
    while j < n {
        // Rows of W past n alias the last one (their results are dropped).
        let r0 = UnsafeRawPointer(w + j * ldw), r1 = UnsafeRawPointer(w + min(j + 1, n - 1) * ldw)
        let r2 = UnsafeRawPointer(w + min(j + 2, n - 1) * ldw)
        let r3 = UnsafeRawPointer(w + min(j + 3, n - 1) * ldw)
        var s00 = GemmVec(), s01 = GemmVec(), s02 = GemmVec(), s03 = GemmVec()
        var s10 = GemmVec(), s11 = GemmVec(), s12 = GemmVec(), s13 = GemmVec()
        var o = 0
        let end = kv &* 4
        while o < end {
            let a0 = x0.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let a1 = x1.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            let w0 = r0.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s00 = s00.addingProduct(a0, w0); s10 = s10.addingProduct(a1, w0)
            let w1 = r1.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s01 = s01.addingProduct(a0, w1); s11 = s11.addingProduct(a1, w1)
            let w2 = r2.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s02 = s02.addingProduct(a0, w2); s12 = s12.addingProduct(a1, w2)
            let w3 = r3.loadUnaligned(fromByteOffset: o, as: GemmVec.self)
            s03 = s03.addingProduct(a0, w3); s13 = s13.addingProduct(a1, w3)
            o &+= vw &* 4
        }
        // The k tail (k not a multiple of the vector width) one element at a time.
        var t0 = SIMD4<Float>(), t1 = SIMD4<Float>()
        var p = kv
        while p < k {
            let q = p &* 4
            let wv = SIMD4<Float>(r0.load(fromByteOffset: q, as: Float.self),
                                  r1.load(fromByteOffset: q, as: Float.self),
                                  r2.load(fromByteOffset: q, as: Float.self),
                                  r3.load(fromByteOffset: q, as: Float.self))
            t0 += x0.load(fromByteOffset: q, as: Float.self) * wv
            t1 += x1.load(fromByteOffset: q, as: Float.self) * wv
            p &+= 1
        }
        let va = SIMD4<Float>(repeating: alpha)
        let y0 = va * (t0 + SIMD4(s00.sum(), s01.sum(), s02.sum(), s03.sum()))
        let y1 = va * (t1 + SIMD4(s10.sum(), s11.sum(), s12.sum(), s13.sum()))
        for c in 0..<min(4, n - j) {
            y[j + c] += y0[c]
            y[ldy + j + c] += y1[c]
        }
        j += 4
    }
}

/// Y[r, j] += alpha · dot(X[r, 0..<k], W[j, 0..<k]) for r in 0..<rows (1...4), j in 0..<n:
/// a 4×4 block of dot products per step, so each row of W is read once for up to four rows of X.
/// X rows are padded with zeros up to a whole vector; rows past `rows` alias the last one.
#if PARE_AVX512
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

#endif

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

