/// How a sparse weight runs its forward pass: through the CSR kernels where they beat a dense
/// product over the decoded weight, else through `sgemm`. Built once when the weight is made or
/// decoded (both sparse encodings hold one), so the forward pass pays no decoding.
///
/// Thresholds, measured with `pare-bench sparse` on a 4096×4096 layer (release, Zen 5, 2 cores):
/// - batch 1 (and small batches, < 16): the CSR GEMV moves 6 bytes per nonzero against 4 per
///   weight for a SIMD dense GEMV, and measured 0.89× the GEMV at 50 % density, 0.55× at 30 %,
///   0.18× at 10 %, so the sparse kernel runs at density ≤ 0.4;
/// - batch ≥ 16: the batched CSR kernel reaches ~34 GFLOP/s (2 threads) on the nonzeros, while a
///   blocked dense GEMM reaches ~80 GFLOP/s per thread, so sparse pays below ~0.2 density.
/// Between the two (0.2 < density ≤ 0.4) both forms are kept, each used where it is faster.
public struct SparseExecution: Sendable {
    /// Density (nonzeros / weights) at or below which batch < `largeBatch` runs the CSR kernel.
    public static let maxDensitySmallBatch = 0.4
    /// Density at or below which batch ≥ `largeBatch` runs the CSR kernel.
    public static let maxDensityLargeBatch = 0.2
    public static let largeBatch = 16

    /// The CSR form, when some batch size runs the sparse kernel.
    public let csr: CSRMatrix?
    /// The decoded weight, when some batch size runs dense.
    public let dense: DenseWeight?

    public init(_ csr: CSRMatrix) {
        let count = csr.rows * csr.columns
        let density = count == 0 ? 1 : Double(csr.nonzeroCount) / Double(count)
        self.csr = density <= Self.maxDensitySmallBatch ? csr : nil
        self.dense = density > Self.maxDensityLargeBatch ? DenseWeight(csr.dense()) : nil
    }

    /// Whether batch-1 inference (what latency measures) runs the sparse kernel.
    public var usesSparseKernel: Bool { csr != nil }

    /// Whether a batch of `batch` rows runs the sparse kernel.
    public func usesSparseKernel(batch: Int) -> Bool {
        guard csr != nil else { return false }
        return batch < Self.largeBatch || dense == nil
    }

    /// y = x · Wᵀ.
    public func forward(_ x: Tensor) -> Tensor {
        if usesSparseKernel(batch: x.rows), let csr { return csr.multiply(x) }
        return dense!.forward(x)
    }

    /// FLOPs per sample as executed at batch 1: 2 per stored nonzero on the sparse kernel, 2·out·in dense.
    public func flopsPerSample(nonzeros: Int, out: Int, in inputs: Int) -> Int {
        usesSparseKernel ? 2 * nonzeros : 2 * out * inputs
    }
}
