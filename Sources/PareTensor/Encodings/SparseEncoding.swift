/// Picks the storage for a (possibly) sparse weight: whichever of dense, bitmask + values and
/// CSR has the smallest payload, so a pruned layer's stored size is honest and a layer whose
/// sparsity is too low to pay stays dense.
///
/// Payloads for n = out·in weights, nnz nonzeros: dense 4n; bitmask n/8 + 4·nnz;
/// CSR 4(out+1) + 6·nnz (8·nnz when in > 65535). So the bitmask wins from ~3.2 % sparsity
/// (4n > n/8 + 4·nnz) and CSR below ~6 % density (n/8 > 2·nnz + 4(out+1)). Ties go to the
/// simpler form (dense, then bitmask).
public enum SparseEncoding {
    public enum Choice: String, Sendable, CaseIterable { case dense, bitmask, csr }

    /// Which encoding is smallest for an [out, in] matrix with `nonzeros` nonzeros, and its size.
    public static func smallest(out: Int, in inputs: Int, nonzeros: Int) -> (choice: Choice, bytes: Int) {
        let dense = 4 * out * inputs
        let bitmask = SparseBitmaskWeight.payloadSize(count: out * inputs, nonzeros: nonzeros)
        let csr = SparseCSRWeight.payloadSize(out: out, in: inputs, nonzeros: nonzeros)
        if dense <= bitmask && dense <= csr { return (.dense, dense) }
        if bitmask <= csr { return (.bitmask, bitmask) }
        return (.csr, csr)
    }

    /// `weight` [out, in] in its smallest encoding.
    public static func best(for weight: Tensor) -> any LinearWeight {
        precondition(weight.rank == 2, "SparseEncoding.best needs a matrix, got shape \(weight.shape)")
        switch smallest(out: weight.shape[0], in: weight.shape[1], nonzeros: weight.nonzeroCount).choice {
        case .dense: return DenseWeight(weight)
        case .bitmask: return SparseBitmaskWeight(weight)
        case .csr: return SparseCSRWeight(weight)
        }
    }
}
