import COpenBLAS
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

/// Best wall-clock nanoseconds of each body over `reps` rounds, the bodies run in turn within
/// each round, so a busy machine slows every contender alike (baseline and candidate interleaved).
func interleavedBestNs(reps: Int, _ bodies: [() -> Void]) -> [Double] {
    for body in bodies { body() }
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<reps {
        for (i, body) in bodies.enumerated() {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            best[i] = min(best[i], Double(DispatchTime.now().uptimeNanoseconds - t0))
        }
    }
    return best
}

/// `pare-bench gemm [size] [reps]`: Pare's sgemm against OpenBLAS called directly with its own
/// threads (the library numpy uses; run scripts/numpy-gemm for numpy itself), interleaved.
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
    let savedThreads = gemmThreadCount
    defer { gemmThreadCount = savedThreads; openblas_set_num_threads(1) }
    openblas_set_num_threads(1)
    print("OpenBLAS \(String(cString: openblas_get_config())), kernel \(String(cString: openblas_get_corename()))")

    let a = randomMatrix(n * n), b = randomMatrix(n * n)
    var c = [Float](repeating: 0, count: n * n)
    let flops = 2.0 * Double(n) * Double(n) * Double(n)
    print("fp32 GEMM \(n)×\(n)×\(n), best of \(reps) interleaved (GFLOP/s): Pare sgemm vs OpenBLAS cblas_sgemm with its own threads")
    for (label, tb) in [("C = A·Bᵀ (Linear)", Transpose.yes), ("C = A·B          ", Transpose.no)] {
        for threads in [1, 2] {
            let t = interleavedBestNs(reps: reps, [
                {
                    gemmThreadCount = threads
                    sgemm(.no, tb, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
                },
                {
                    openblas_set_num_threads(Int32(threads))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb == .yes ? CblasTrans : CblasNoTrans, Int32(n), Int32(n),
                                Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
                    openblas_set_num_threads(1)
                },
            ])
            print("  \(label)  \(threads) thread\(threads == 1 ? " " : "s"):  Pare "
                  + String(format: "%6.1f   OpenBLAS %6.1f   ratio %.2f×", flops / t[0], flops / t[1], t[1] / t[0]))
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
            sgemm(.no, .yes, m: 1, n: d, k: d, a: x, lda: d, b: w, ldb: d, c: &y, ldc: d)
        }
        print("  \(threads) thread\(threads == 1 ? " " : "s"):  "
              + String(format: "%7.3f / %7.3f", t.best / 1e6, t.median / 1e6))
    }

    // Small batches through a 1024→1024 Linear layer (W in L2/L3), one thread: Pare's sgemm, the
    // same rows as m separate GEMVs, and OpenBLAS.
    gemmThreadCount = 1
    let w1024 = randomMatrix(1024 * 1024)
    print("small batch X·Wᵀ, W 1024×1024, 1 thread, best of \(reps * 5) interleaved (µs)")
    print("  m     Pare sgemm   m × GEMV   OpenBLAS   Pare GFLOP/s   vs m GEMVs   vs OpenBLAS")
    for m in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64] {
        let xs = randomMatrix(m * 1024)
        var ys = [Float](repeating: 0, count: m * 1024)
        let t = interleavedBestNs(reps: reps * 5, [
            { sgemm(.no, .yes, m: m, n: 1024, k: 1024, a: xs, lda: 1024, b: w1024, ldb: 1024, c: &ys, ldc: 1024) },
            {
                xs.withUnsafeBufferPointer { px in ys.withUnsafeMutableBufferPointer { py in
                    for i in 0..<m {
                        sgemm(.no, .yes, m: 1, n: 1024, k: 1024, a: px.baseAddress! + i * 1024, lda: 1024, b: w1024,
                              ldb: 1024, c: py.baseAddress! + i * 1024, ldc: 1024)
                    }
                } }
            },
            {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), 1024, 1024, 1, xs, 1024, w1024, 1024,
                            0, &ys, 1024)
            },
        ])
        let f = 2.0 * Double(m) * 1024 * 1024
        print(String(format: "  %-4ld  %9.1f  %9.1f  %9.1f   %12.1f   %9.2f×   %10.2f×",
                     m, t[0] / 1e3, t[1] / 1e3, t[2] / 1e3, f / t[0], t[1] / t[0], t[2] / t[0]))
    }
}
