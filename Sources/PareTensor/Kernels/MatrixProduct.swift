/// op(A)·op(B) for row-major matrices, through the fast `sgemm`: the one Tensor-level product
/// the layers, training and factorizations share.
/// op(A) is m×k (A as stored, or Aᵀ), op(B) is k×n; the result is m×n.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    precondition((transposeB ? b.columns : b.rows) == k,
                 "matmul: inner dimensions differ (\(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : ""))")
    var c = Tensor(zeros: [m, n])
    a.data.withUnsafeBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            c.data.withUnsafeMutableBufferPointer { cp in
                sgemm(transposeA ? .yes : .no, transposeB ? .yes : .no, m: m, n: n, k: k,
                      a: ap.baseAddress!, lda: a.columns, b: bp.baseAddress!, ldb: b.columns,
                      c: cp.baseAddress!, ldc: n)
            }
        }
    }
    return c
}
