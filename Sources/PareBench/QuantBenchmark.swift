import Foundation
import PareTensor

/// `pare-bench quant [--threads N]`: batch-1 GEMV latency of quantized weights against fp32,
/// every kernel on the same thread count (default: all cores; `--threads 1` for one).
/// Two fp32 baselines: `DenseWeight.forward` (whatever sgemm the package has) and a plain SIMD
/// fp32 GEMV (`QuantKernels.gemvF32`), so the ratio stays fair whichever sgemm is in place.
public func runQuantBenchmark(arguments: [String], sizes: [Int] = [4096, 8192]) {
    if let i = arguments.firstIndex(of: "--threads"), i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 {
        gemmThreadCount = n
    }
    print("quantized GEMV, batch 1 (median of repetitions; ratio = time / fp32 SIMD GEMV); dense.forward, the quantized")
    print("and W8A8 rows on up to \(gemmThreadCount) thread(s) (--threads N); the plain simd gemv on one")
    print(pad("size", 7) + pad("encoding", 26) + pad("ms", 10) + pad("GB/s", 8) + pad("vs simd-f32", 13) + "vs dense.forward")
    for n in sizes {
        var rng = BenchRNG(seed: UInt64(n))
        let w = Tensor(shape: [n, n], data: (0..<(n * n)).map { _ in rng.normal() * 0.02 })
        let x = Tensor(shape: [1, n], data: (0..<n).map { _ in rng.normal() })
        let dense = DenseWeight(w)
        var y = [Float](repeating: 0, count: n)

        let simd = time(reps: 20) {
            w.data.withUnsafeBufferPointer { wp in
                x.data.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        QuantKernels.gemvF32(wp.baseAddress!, rows: n, columns: n, x: xp.baseAddress!, y: yp.baseAddress!)
                    }
                }
            }
        }
        let denseTime = time(reps: 3) { _ = dense.forward(x) }
        func report(_ name: String, _ seconds: Double, bytes: Int) {
            print(pad("\(n)", 7) + pad(name, 26) + pad(String(format: "%.3f", seconds * 1e3), 10)
                  + pad(String(format: "%.1f", Double(bytes) / seconds / 1e9), 8)
                  + pad(String(format: "%.3f×", seconds / simd), 13) + String(format: "%.3f×", seconds / denseTime))
        }
        report("fp32 dense.forward", denseTime, bytes: n * n * 4)
        report("fp32 simd gemv", simd, bytes: n * n * 4)
        let cases: [(String, QuantFormat, QuantGranularity)] = [
            ("int8 channel symmetric", .int8Symmetric, .channel),
            ("int8 group128 affine", QuantFormat(bits: 8, scheme: .affine), .group(128)),
            ("int4 channel symmetric", QuantFormat(bits: 4), .channel),
            ("int4 group128 symmetric", QuantFormat(bits: 4), .group(128)),
            ("int4 group128 affine", QuantFormat(bits: 4, scheme: .affine), .group(128)),
            ("int3 channel symmetric", QuantFormat(bits: 3), .channel),
            ("int2 channel symmetric", QuantFormat(bits: 2), .channel),
        ]
        for (name, format, granularity) in cases {
            let q = try! QuantizedWeight(quantizing: w, format: format, granularity: granularity)
            let reps = format.bits >= 4 ? 30 : 5
            let t = time(reps: reps) { _ = q.forward(x) }
            report(name, t, bytes: q.storedBytes)
        }
        // W8A8: int8 weights × 8-bit activations → Int32 (quant-static / quant-dynamic).
        let staticQ = StaticInt8Linear(quantizing: w, activationRange: (x.data.min()!, x.data.max()!))
        let dynamicQ = DynamicInt8Linear(quantizing: w)
        report("int8-static (W8A8 u8)", time(reps: 30) { _ = staticQ.forward(x) }, bytes: n * n + n * 4)
        report("int8-dynamic (W8A8 u8)", time(reps: 30) { _ = dynamicQ.forward(x) }, bytes: n * n + n * 4)
        let saved = gemmThreadCount
        gemmThreadCount = 1
        report("int8-static 1 thread", time(reps: 30) { _ = staticQ.forward(x) }, bytes: n * n + n * 4)
        gemmThreadCount = saved
    }
    runInt8BatchBenchmark(sizes: sizes, batch: 256)
}

/// Batch-`batch` throughput of the W8A8 encodings against fp32 `DenseWeight.forward` (sgemm)
/// and the weight-only int8 dequantize-tiles-then-sgemm path.
func runInt8BatchBenchmark(sizes: [Int], batch: Int) {
    print("\nW8A8 GEMM, batch \(batch) (median; GOP/s = 2·batch·n² / time; ratio = time / fp32 dense.forward)")
    print(pad("size", 7) + pad("encoding", 26) + pad("ms", 10) + pad("GOP/s", 9) + "vs dense.forward")
    for n in sizes {
        var rng = BenchRNG(seed: UInt64(n) &+ 7)
        let w = Tensor(shape: [n, n], data: (0..<(n * n)).map { _ in rng.normal() * 0.02 })
        let x = Tensor(shape: [batch, n], data: (0..<(batch * n)).map { _ in rng.normal() })
        let dense = DenseWeight(w)
        let denseTime = time(reps: 5) { _ = dense.forward(x) }
        func report(_ name: String, _ seconds: Double) {
            print(pad("\(n)", 7) + pad(name, 26) + pad(String(format: "%.2f", seconds * 1e3), 10)
                  + pad(String(format: "%.1f", 2 * Double(batch) * Double(n) * Double(n) / seconds / 1e9), 9)
                  + String(format: "%.3f×", seconds / denseTime))
        }
        report("fp32 dense.forward", denseTime)
        let q8 = try! QuantizedWeight(quantizing: w, format: .int8Symmetric, granularity: .channel)
        report("int8 weight-only", time(reps: 5) { _ = q8.forward(x) })
        let staticQ = StaticInt8Linear(quantizing: w, activationRange: (x.data.min()!, x.data.max()!))
        let dynamicQ = DynamicInt8Linear(quantizing: w)
        report("int8-static (W8A8 u8)", time(reps: 5) { _ = staticQ.forward(x) })
        report("int8-dynamic (W8A8 u8)", time(reps: 5) { _ = dynamicQ.forward(x) })
    }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// Median wall time of `reps` runs after one warm-up.
private func time(reps: Int, _ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return samples.sorted()[samples.count / 2]
}

private struct BenchRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
    }
}
