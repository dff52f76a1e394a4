import Foundation
import PareCompress
import PareNN
import PareTensor

/// `pare-bench sparse`: batch-1 latency of the sparse kernel against dense on a 4096×4096
/// layer at 50/90/95 % sparsity, the batch-256 throughput behind the sparse/dense switch,
/// and a 4096→4096→4096 MLP before and after 50 % structured pruning.
/// Two dense baselines, so the ratio is honest: `sgemm` (what DenseWeight runs) and a
/// single-thread SIMD GEMV (memory-bound, the best dense can do at batch 1).
public func runSparseBenchmark() {
    let n = 4096
    var rng = BenchRandom(seed: 42)
    let weight = Tensor(shape: [n, n], data: (0..<n * n).map { _ in rng.normal() * 0.02 })
    let x = Tensor(shape: [1, n], data: (0..<n).map { _ in rng.normal() })

    print("Sparse kernels — 4096×4096 layer, batch 1, median of timed runs (release build)")
    let dense = DenseWeight(weight)
    let sgemmMs = median(reps: 20) { _ = dense.forward(x) }
    var y = [Float](repeating: 0, count: n)
    let gemvMs = median(reps: 200) {
        weight.data.withUnsafeBufferPointer { w in
            x.data.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    denseGEMV(rows: n, columns: n, w: w.baseAddress!, x: xp.baseAddress!, y: yp.baseAddress!)
                }
            }
        }
    }
    print(String(format: "  dense sgemm           %8.3f ms", sgemmMs))
    print(String(format: "  dense SIMD GEMV       %8.3f ms", gemvMs))
    print("  sparsity  nnz        CSR kernel   /sgemm  /GEMV   stored as       kernel used by encoding")
    for sparsity in [0.5, 0.7, 0.9, 0.95] {
        let pruned = magnitudePruned(weight, sparsity: sparsity)
        let csr = CSRMatrix(dense: pruned)
        let ms = median(reps: 200) { _ = csr.multiply(x) }
        let stored = SparseEncoding.best(for: pruned)
        let path = (stored as? SparseBitmaskWeight)?.usesSparseKernel ?? (stored as? SparseCSRWeight)?.usesSparseKernel ?? false
        print(String(format: "  %5.0f %%  %9d  %8.3f ms   %5.3f   %5.3f  %-15@ %@", sparsity * 100, csr.nonzeroCount, ms,
                     ms / sgemmMs, ms / gemvMs, stored.encodingName, path ? "sparse" : "dense"))
    }

    // Batch 256: where the batched sparse kernel stops beating a dense GEMM.
    let batch = 256
    let xb = Tensor(shape: [batch, n], data: (0..<batch * n).map { _ in rng.normal() })
    let denseGFlops = sgemmGFlops(n: n, batch: batch, dense: dense, x: xb)
    print("Batch \(batch) (throughput; sparse GFLOP/s count only nonzeros):")
    if let denseGFlops {
        print(String(format: "  dense sgemm  %6.1f GFLOP/s", denseGFlops))
    } else {
        print("  dense sgemm: skipped (the temporary reference sgemm is too slow to time at this size)")
    }
    for sparsity in [0.5, 0.7, 0.9, 0.95] {
        let csr = CSRMatrix(dense: magnitudePruned(weight, sparsity: sparsity))
        let ms = median(reps: 5) { _ = csr.multiply(xb) }
        let gflops = 2 * Double(csr.nonzeroCount) * Double(batch) / (ms * 1e6)
        let denseEquivalent = 2 * Double(n * n) * Double(batch) / (ms * 1e6)
        print(String(format: "  %5.0f %%  sparse %7.2f ms  %6.1f GFLOP/s (dense-equivalent %6.1f)", sparsity * 100, ms, gflops, denseEquivalent))
    }

    // Structured: a 4096→4096→4096 MLP, half the hidden neurons physically removed.
    let layers = [
        LinearLayer(name: "fc1", weight: DenseWeight(weight), bias: [Float](repeating: 0.01, count: n)),
        LinearLayer(name: "fc2", weight: DenseWeight(Tensor(shape: [n, n], data: (0..<n * n).map { _ in rng.normal() * 0.02 })),
                    bias: [Float](repeating: 0, count: n)),
    ]
    let mlp = Model(layers: layers, activation: .relu)
    do {
        let method = try StructuredPruning(settings: Settings(method: StructuredPruning.name, values: ["amount": "0.5"]))
        let small = try method.compress(mlp, context: CompressionContext()).model
        // Interleaved, so load from other processes hits both alike.
        var dense: [Double] = [], pruned: [Double] = []
        _ = mlp.forward(x); _ = small.forward(x)
        for _ in 0..<15 {
            dense.append(median(reps: 1) { _ = mlp.forward(x) })
            pruned.append(median(reps: 1) { _ = small.forward(x) })
        }
        let before = dense.sorted()[dense.count / 2], after = pruned.sorted()[pruned.count / 2]
        print("Structured 50 % — MLP \(mlp.dims.map(String.init).joined(separator: "→")) → \(small.dims.map(String.init).joined(separator: "→")), batch 1:")
        print(String(format: "  dense %8.3f ms   pruned %8.3f ms   ratio %5.3f", before, after, after / before))
    } catch {
        print("structured pruning failed: \(error)")
    }
}

/// Zeroes the `sparsity` fraction of smallest-magnitude weights.
private func magnitudePruned(_ w: Tensor, sparsity: Double) -> Tensor {
    let k = Int((sparsity * Double(w.count)).rounded())
    let threshold = w.data.map { abs($0) }.sorted()[k]
    return Tensor(shape: w.shape, data: w.data.map { abs($0) < threshold ? 0 : $0 })
}

private func sgemmGFlops(n: Int, batch: Int, dense: DenseWeight, x: Tensor) -> Double? {
    // Probe on a small product first: the reference sgemm would take minutes at full size.
    let probe = DenseWeight(Tensor(shape: [256, 256], data: [Float](repeating: 0.5, count: 256 * 256)))
    let px = Tensor(shape: [64, 256], data: [Float](repeating: 1, count: 64 * 256))
    let probeMs = median(reps: 3) { _ = probe.forward(px) }
    let probeGFlops = 2.0 * 256 * 256 * 64 / (probeMs * 1e6)
    guard probeGFlops > 5 else { return nil }
    let ms = median(reps: 5) { _ = dense.forward(x) }
    return 2 * Double(n) * Double(n) * Double(batch) / (ms * 1e6)
}

/// Median wall time in milliseconds of `reps` runs (after two warm-up runs when reps > 1).
private func median(reps: Int, _ body: () -> Void) -> Double {
    if reps > 1 { body(); body() }
    var times: [Double] = []
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[times.count / 2]
}

private struct BenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
