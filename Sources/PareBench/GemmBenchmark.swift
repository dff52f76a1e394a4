import Foundation
import PareTensor

/// Nanoseconds of CPU time used by the whole process (excludes time its threads spent preempted).
func processCPUNs() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

/// Wall-clock nanoseconds of `body`, best and median over `reps` runs after `warmup` runs, and
/// the best CPU time summed over threads (on a busy machine, work per CPU-second is the stable figure).
func timeNs(reps: Int, warmup: Int = 2, _ body: () -> Void) -> (best: Double, median: Double, cpu: Double) {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    var cpu = Double.infinity
    for _ in 0..<reps {
        let c0 = processCPUNs()
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
        cpu = min(cpu, processCPUNs() - c0)
    }
    times.sort()
    return (times[0], times[times.count / 2], cpu)
}

/// `pare-bench gemm [size] [reps]`
func runGemmBenchmark(_ args: [String]) {
    let n = args.first.flatMap(Int.init) ?? 1024
    let reps = args.dropFirst().first.flatMap(Int.init) ?? 10
    var state: UInt64 = 0x2545_F491_4F6C_DD1D  // xorshift64: fast and reproducible
    func randomMatrix(_ count: Int) -> [Float] {
        (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }
    let a = randomMatrix(n * n), b = randomMatrix(n * n)
    var c = [Float](repeating: 0, count: n * n)
    let flops = 2.0 * Double(n) * Double(n) * Double(n)
    let savedThreads = gemmThreadCount
    print("fp32 GEMM \(n)×\(n)×\(n), best / median of \(reps) after warm-up (GFLOP/s)")
    for (label, tb) in [("C = A·Bᵀ (Linear)", Transpose.yes), ("C = A·B          ", Transpose.no)] {
        for threads in [1, 2] {
            gemmThreadCount = threads
            let t = timeNs(reps: reps) {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    sgemm(.no, tb, m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                          c: pc.baseAddress!, ldc: n)
                } } }
            }
            print("  \(label)  \(threads) thread\(threads == 1 ? " " : "s"):  "
                  + String(format: "%7.1f / %7.1f", flops / t.best, flops / t.median)
                  + String(format: "   (%.1f per CPU-second)", flops / t.cpu))
        }
    }

    // Batch-1 inference: y = x·Wᵀ with W 4096×4096 (64 MiB, larger than L3: memory-bound).
    let d = 4096
    let w = randomMatrix(d * d), x = randomMatrix(d)
    var y = [Float](repeating: 0, count: d)
    print("batch-1 GEMV y = x·Wᵀ, W \(d)×\(d), best / median of \(reps * 5) (ms)")
    for threads in [1, 2] {
        gemmThreadCount = threads
        let t = timeNs(reps: reps * 5) {
            w.withUnsafeBufferPointer { pw in x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
                sgemm(.no, .yes, m: 1, n: d, k: d, a: px.baseAddress!, lda: d, b: pw.baseAddress!, ldb: d,
                      c: py.baseAddress!, ldc: d)
            } } }
        }
        print("  \(threads) thread\(threads == 1 ? " " : "s"):  "
              + String(format: "%7.3f / %7.3f", t.best / 1e6, t.median / 1e6))
    }

    // Small batches through a 1024→1024 Linear layer (W in L2/L3), one thread.
    gemmThreadCount = 1
    let w1024 = randomMatrix(1024 * 1024)
    print("small batch X·Wᵀ, W 1024×1024, 1 thread, best / median of \(reps * 5) (GFLOP/s, µs)")
    for m in [1, 2, 3, 4, 6, 8, 12, 16, 32, 64] {
        let xs = randomMatrix(m * 1024)
        var ys = [Float](repeating: 0, count: m * 1024)
        let t = timeNs(reps: reps * 5) {
            w1024.withUnsafeBufferPointer { pw in xs.withUnsafeBufferPointer { px in ys.withUnsafeMutableBufferPointer { py in
                sgemm(.no, .yes, m: m, n: 1024, k: 1024, a: px.baseAddress!, lda: 1024, b: pw.baseAddress!,
                      ldb: 1024, c: py.baseAddress!, ldc: 1024)
            } } }
        }
        let f = 2.0 * Double(m) * 1024 * 1024
        print("  m = \(m)".padding(toLength: 10, withPad: " ", startingAt: 0)
              + String(format: "%7.1f / %7.1f GFLOP/s   %8.1f µs", f / t.best, f / t.median, t.best / 1e3))
    }
    gemmThreadCount = savedThreads
}
