import Foundation
import PareTensor

/// Low-rank benchmarks (release build): the Swift SVD on layer-sized matrices, and the
/// factored layer's forward pass against the dense one.
/// Run with `swift run -c release pare-bench lowrank` once the dispatcher calls this.
func runLowRankBenchmark() {
    print("== SVD (QR-preconditioned one-sided Jacobi, Double) ==")
    // Uniform random entries (a flat spectrum: Jacobi's slowest case), then a matrix with a
    // decaying spectrum like a trained layer's (random × diag(1/√i) × random).
    let cases: [(String, Int, Int)] = [("uniform", 256, 1024), ("uniform", 1024, 4096), ("uniform", 4096, 1024), ("decaying", 1024, 4096)]
    for (kind, m, n) in cases {
        let w = kind == "uniform" ? benchMatrix(m, n, seed: 42) : decayingMatrix(m, n, seed: 42)
        let cpuStart = cpuSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let svd = SVD(w)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = cpuSeconds() - cpuStart
        let error = benchRelativeError(svd.reconstruct(rank: min(m, n)), w)
        print(kind.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: "%5d×%-5d  %6.2f s wall  %6.2f s CPU  %2d sweeps  σ_max %.4f  σ_min %.4f  reconstruction rel. error %.2e",
                     m, n, seconds, cpu, svd.sweeps, svd.singularValues.first!, svd.singularValues.last!, error))
    }
    runLowRankForwardBenchmark()
}

/// Uniform entries in [-1, 1), deterministic.
func benchMatrix(_ m: Int, _ n: Int, seed: UInt64) -> Tensor {
    var state = seed
    var data = [Float](repeating: 0, count: m * n)
    for i in data.indices {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        data[i] = Float(Double(z >> 11) / Double(1 << 53) * 2 - 1)
    }
    return Tensor(shape: [m, n], data: data)
}

/// A [m, n] matrix whose singular values fall off as 1/√i: A·diag(1/√i)·B with random A, B
/// (computed through the reference product; only the benchmark uses it).
func decayingMatrix(_ m: Int, _ n: Int, seed: UInt64) -> Tensor {
    let r = min(m, n)
    var a = benchMatrix(m, r, seed: seed)
    let b = benchMatrix(r, n, seed: seed + 1)
    for row in 0..<m { for i in 0..<r { a.data[row * r + i] /= Float(Double(i + 1).squareRoot()) } }
    var w = Tensor(zeros: [m, n])
    a.data.withUnsafeBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            w.data.withUnsafeMutableBufferPointer { wp in
                // Row-major A·B with a plain i-k-j loop (the reference sgemm is too slow here).
                for i in 0..<m {
                    for k in 0..<r {
                        let aik = ap[i * r + k]
                        for j in 0..<n { wp[i * n + j] += aik * bp[k * n + j] }
                    }
                }
            }
        }
    }
    return w
}

func benchRelativeError(_ a: Tensor, _ b: Tensor) -> Double {
    var diff = 0.0, norm = 0.0
    for i in a.data.indices {
        let d = Double(a.data[i]) - Double(b.data[i])
        diff += d * d
        norm += Double(b.data[i]) * Double(b.data[i])
    }
    return (diff / norm).squareRoot()
}

/// Dense versus factored forward pass of a 1024×4096 layer at a few ranks (batch 64), through
/// whatever `sgemm` PareTensor currently has.
func runLowRankForwardBenchmark() {
    print("== Forward pass, [64, 4096] · Wᵀ with W [1024, 4096] ==")
    let (m, n, batch) = (1024, 4096, 64)
    let w = decayingMatrix(m, n, seed: 7)
    let x = benchMatrix(batch, n, seed: 8)
    let svd = SVD(w)
    let dense = DenseWeight(w)
    func time(_ body: () -> Tensor) -> Double {
        _ = body()
        let start = DispatchTime.now().uptimeNanoseconds
        let repeats = 3
        for _ in 0..<repeats { _ = body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(repeats)
    }
    let denseMs = time { dense.forward(x) }
    print(String(format: "dense        %8.2f ms  %10d FLOPs/sample  %9d bytes", denseMs, dense.flopsPerSample, dense.storedBytes))
    let reference = dense.forward(x)
    for k in [64, 256, 512] {
        let factored = LowRankWeight(svd: svd, rank: k)
        let ms = time { factored.forward(x) }
        let error = benchRelativeError(factored.forward(x), reference)
        print(String(format: "rank %-4d    %8.2f ms  %10d FLOPs/sample  %9d bytes  output rel. error %.3f",
                     k, ms, factored.flopsPerSample, factored.storedBytes, error))
    }
}

/// User + system CPU time of this process (all threads), so a timing on a shared machine says
/// how much work was done as well as how long it took.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
