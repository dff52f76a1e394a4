import Foundation
import PareTensor

/// Low-rank benchmarks (release build): the Swift SVD on layer-sized matrices, and the
/// factored layer's forward pass against the dense one.
/// Run with `swift run -c release pare-bench lowrank` once the dispatcher calls this.
func runLowRankBenchmark() {
    print("== SVD (QR-preconditioned one-sided Jacobi, Double) ==")
    for (m, n) in [(256, 1024), (1024, 4096), (4096, 1024)] {
        let w = benchMatrix(m, n, seed: 42)
        let cpuStart = cpuSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let svd = SVD(w)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = cpuSeconds() - cpuStart
        let error = benchRelativeError(svd.reconstruct(rank: min(m, n)), w)
        print(String(format: "%5d×%-5d  %6.2f s wall  %6.2f s CPU  %2d sweeps  σ_max %.4f  σ_min %.4f  reconstruction rel. error %.2e",
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

func benchRelativeError(_ a: Tensor, _ b: Tensor) -> Double {
    var diff = 0.0, norm = 0.0
    for i in a.data.indices {
        let d = Double(a.data[i]) - Double(b.data[i])
        diff += d * d
        norm += Double(b.data[i]) * Double(b.data[i])
    }
    return (diff / norm).squareRoot()
}

func runLowRankForwardBenchmark() {}

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
