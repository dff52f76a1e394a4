/// Small dense linear algebra in Double for the second-order methods (SparseGPT, GPTQ): Cholesky
/// factors and the inverse of a symmetric positive-definite matrix, row-major n×n.
enum SymmetricMatrix {
    /// Lower-triangular L with A = L·Lᵀ, or nil when A is not positive definite.
    static func cholesky(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n)
        var l = [Double](repeating: 0, count: n * n)
        let ok = a.withUnsafeBufferPointer { ap in
            l.withUnsafeMutableBufferPointer { lp -> Bool in
                let a = ap.baseAddress!, l = lp.baseAddress!
                for j in 0..<n {
                    var d = a[j * n + j]
                    for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
                    guard d > 0, d.isFinite else { return false }
                    let ljj = d.squareRoot()
                    l[j * n + j] = ljj
                    for i in (j + 1)..<max(j + 1, n) {
                        var s = a[i * n + j]
                        for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                        l[i * n + j] = s / ljj
                    }
                }
                return true
            }
        }
        return ok ? l : nil
    }

    /// The inverse of lower-triangular L (also lower-triangular).
    static func invertLower(_ l: [Double], n: Int) -> [Double] {
        var inv = [Double](repeating: 0, count: n * n)
        l.withUnsafeBufferPointer { lp in
            inv.withUnsafeMutableBufferPointer { ip in
                let l = lp.baseAddress!, inv = ip.baseAddress!
                for j in 0..<n {
                    inv[j * n + j] = 1 / l[j * n + j]
                    for i in (j + 1)..<max(j + 1, n) {
                        var s = 0.0
                        for k in j..<i { s -= l[i * n + k] * inv[k * n + j] }
                        inv[i * n + j] = s / l[i * n + i]
                    }
                }
            }
        }
        return inv
    }

    /// A⁻¹ for symmetric positive-definite A (through its Cholesky factor), or nil.
    static func inverse(_ a: [Double], n: Int) -> [Double]? {
        guard let l = cholesky(a, n: n) else { return nil }
        let li = invertLower(l, n: n)
        // A⁻¹ = L⁻ᵀ · L⁻¹: entry (i, j) = Σ_k li[k, i] · li[k, j], k ≥ max(i, j).
        var inv = [Double](repeating: 0, count: n * n)
        li.withUnsafeBufferPointer { lp in
            inv.withUnsafeMutableBufferPointer { op in
                let li = lp.baseAddress!, inv = op.baseAddress!
                for i in 0..<n {
                    for j in i..<n {
                        var s = 0.0
                        for k in j..<n { s += li[k * n + i] * li[k * n + j] }
                        inv[i * n + j] = s
                        inv[j * n + i] = s
                    }
                }
            }
        }
        return inv
    }

    /// Upper-triangular U with A = Uᵀ·U (torch.linalg.cholesky(A, upper=True)), or nil.
    static func upperCholesky(_ a: [Double], n: Int) -> [Double]? {
        guard let l = cholesky(a, n: n) else { return nil }
        var u = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0...i { u[j * n + i] = l[i * n + j] } }
        return u
    }
}
