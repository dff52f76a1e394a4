/// How a sparse weight runs its forward pass: through the CSR kernel when that is faster than
/// a dense product over the decoded weight, else through `sgemm` on the decoded weight.
/// Built once when the weight is made or decoded (both sparse encodings hold one), so the
/// forward pass pays no decoding.
public struct SparseExecution: Sendable {
    public enum Path: Sendable {
        case sparse(CSRMatrix)
        case dense(DenseWeight)
    }

    public let path: Path

    /// Density (nonzeros / weights) at or below which the sparse kernel runs.
    /// Measured with `pare-bench sparse` (4096×4096, release, Zen 5): at batch 1 the CSR GEMV
    /// beats a SIMD dense GEMV from about 50 % density down, but at batch 256 the dense GEMM
    /// keeps its edge until roughly 30 % density; 0.3 is where the sparse kernel is faster at both.
    public static let maxDensityForSparseKernel = 0.3

    public init(_ csr: CSRMatrix) {
        let count = csr.rows * csr.columns
        let density = count == 0 ? 1 : Double(csr.nonzeroCount) / Double(count)
        if density <= Self.maxDensityForSparseKernel {
            path = .sparse(csr)
        } else {
            path = .dense(DenseWeight(csr.dense()))
        }
    }

    public var usesSparseKernel: Bool {
        if case .sparse = path { return true }
        return false
    }

    /// y = x · Wᵀ.
    public func forward(_ x: Tensor) -> Tensor {
        switch path {
        case .sparse(let csr): csr.multiply(x)
        case .dense(let dense): dense.forward(x)
        }
    }

    /// FLOPs per sample as executed: 2 per stored nonzero on the sparse kernel, 2·out·in dense.
    public func flopsPerSample(nonzeros: Int, out: Int, in inputs: Int) -> Int {
        usesSparseKernel ? 2 * nonzeros : 2 * out * inputs
    }
}
