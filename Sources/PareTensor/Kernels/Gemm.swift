/// Whether a GEMM operand is read as stored or transposed (BLAS's 'N' / 'T').
public enum Transpose: Sendable { case no, yes }

/// C = alpha · op(A) · op(B) + beta · C, row-major, single precision (BLAS sgemm semantics,
/// with leading dimensions counted in elements along a row).
/// op(A) is m×k, op(B) is k×n, C is m×n.
///
/// TEMPORARY straightforward version; replaced by the cache-blocked SIMD kernel.
public func sgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    referenceSgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc)
}

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
