import Dispatch

/// Small dense linear algebra in Double for the second-order methods (SparseGPT, GPTQ): the
/// Cholesky factor of a symmetric positive-definite matrix, a triangular inverse, and from them
/// the upper factor of the inverse those methods sweep with; row-major n×n. Every inner loop is
/// a dot product of two contiguous rows (transposed copies make it so), run in SIMD; the
/// independent rows of the triangular inverse run on every core. A transformer's MLP width (1536 in
/// SmolLM2) is inverted per layer group, so this is on the critical path of GPTQ and SparseGPT.
enum SymmetricMatrix {
    /// Lower-triangular L with A = L·Lᵀ, or nil when A is not positive definite.
    static func cholesky(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n)
        var l = [Double](repeating: 0, count: n * n)
        let ok = a.withUnsafeBufferPointer { ap in
            l.withUnsafeMutableBufferPointer { lp -> Bool in
                let a = ap.baseAddress!, l = lp.baseAddress!
                // Row by row: L[i, j] = (A[i, j] − L[i, :j]·L[j, :j]) / L[j, j].
                for i in 0..<n {
                    let li = l + i * n
                    for j in 0..<i {
                        li[j] = (a[i * n + j] - dot(li, l + j * n, j)) / l[j * n + j]
                    }
                    let d = a[i * n + i] - dot(li, li, i)
                    guard d > 0, d.isFinite else { return false }
                    li[i] = d.squareRoot()
                }
                return true
            }
        }
        return ok ? l : nil
    }

    /// The inverse of lower-triangular L (also lower-triangular). Row i of X = L⁻¹ solves
    /// X[i, :]·L = e_i from the diagonal leftwards, reading Lᵀ's rows; rows are independent.
    static func invertLower(_ l: [Double], n: Int) -> [Double] {
        let lt = transpose(l, n: n)
        var inv = [Double](repeating: 0, count: n * n)
        lt.withUnsafeBufferPointer { tp in
            inv.withUnsafeMutableBufferPointer { ip in
                let lt = SendableDoubles(tp.baseAddress!), out = SendableMutableDoubles(ip.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: rowChunks(n)) { chunk in
                    for i in rowRange(chunk, n) {
                        let x = out.pointer + i * n
                        x[i] = 1 / lt.pointer[i * n + i]
                        var j = i - 1
                        while j >= 0 {
                            // x[j] = −Σ_{k=j+1…i} x[k]·L[k, j] / L[j, j], L[k, j] = Lᵀ[j, k].
                            x[j] = -dot(x + j + 1, lt.pointer + j * n + j + 1, i - j) / lt.pointer[j * n + j]
                            j -= 1
                        }
                    }
                }
            }
        }
        return inv
    }

    /// Upper-triangular U with Uᵀ·U = A⁻¹ (torch: cholesky(cholesky_inverse(cholesky(A)),
    /// upper=True)), or nil when A is not positive definite — what GPTQ and SparseGPT sweep
    /// with. Without forming A⁻¹: with J the reversal, J·A·J = M·Mᵀ (M lower) gives A = R·Rᵀ for
    /// the upper R = J·M·J, so A⁻¹ = (R⁻¹)ᵀ·R⁻¹ and U = R⁻¹ = J·M⁻¹·J — one Cholesky and one
    /// triangular inverse instead of two of each and a product.
    static func upperCholeskyOfInverse(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n)
        let last = n * n - 1
        let reversed = (0..<(n * n)).map { a[last - $0] }   // (J·A·J)[i, j] = A[n−1−i, n−1−j]
        guard let m = cholesky(reversed, n: n) else { return nil }
        let inverse = invertLower(m, n: n)
        return (0..<(n * n)).map { inverse[last - $0] }
    }

    static func transpose(_ m: [Double], n: Int) -> [Double] {
        var t = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { t[j * n + i] = m[i * n + j] } }
        return t
    }

    /// y[k] −= alpha · x[k] for k < count, in SIMD lanes (the OBS / GPTQ error feedback).
    @inline(__always)
    static func subtractScaled(_ y: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ alpha: Double, _ count: Int) {
        var k = 0
        let a = SIMD8<Double>(repeating: alpha)
        while k + 8 <= count {
            let v = UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Double>.self) - a * UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(y + k).storeBytes(of: v, as: SIMD8<Double>.self)
            k += 8
        }
        while k < count { y[k] -= alpha * x[k]; k += 1 }
    }

    /// Σ a[k]·b[k] for k < count, in SIMD lanes.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
        var k = 0
        while k + 16 <= count {
            s0 += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Double>.self) * UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Double>.self)
            s1 += UnsafeRawPointer(a + k + 8).loadUnaligned(as: SIMD8<Double>.self) * UnsafeRawPointer(b + k + 8).loadUnaligned(as: SIMD8<Double>.self)
            k += 16
        }
        var s = (s0 + s1).sum()
        while k < count { s += a[k] * b[k]; k += 1 }
        return s
    }

    /// Rows split into interleaved chunks so the long and the short rows of a triangle balance.
    private static func rowChunks(_ n: Int) -> Int { n < 64 ? 1 : 16 }
    private static func rowRange(_ chunk: Int, _ n: Int) -> StrideTo<Int> {
        stride(from: chunk, to: n, by: rowChunks(n))
    }
}

private struct SendableDoubles: @unchecked Sendable {
    let pointer: UnsafePointer<Double>
    init(_ pointer: UnsafePointer<Double>) { self.pointer = pointer }
}

private struct SendableMutableDoubles: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}
