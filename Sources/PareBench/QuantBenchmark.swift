import Foundation
import PareTensor

/// `pare-bench quant [--threads N]`: GEMV latency of quantized weights against fp32, every
/// kernel on the same thread count (default: all cores; `--threads 1` for one).
/// The fp32 baseline is a plain SIMD fp32 GEMV (`QuantKernels.gemvF32`), timed interleaved with
/// each quantized kernel (min of N rounds each), so a busy machine slows both alike.
/// m = 2…16 columns time one forward of m input rows; "m16 / 16·m1" below 1 means the batch
/// costs less than 16 separate GEMVs.
public func runQuantBenchmark(arguments: [String], sizes: [Int] = [4096, 8192]) {
    if let i = arguments.firstIndex(of: "--threads"), i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 {
        gemmThreadCount = n
    }
    let batches = [2, 4, 8, 16]
    print("quantized GEMV (min of interleaved rounds; ratio = time / fp32 SIMD GEMV of the same size, same run);")
    print("quantized kernels on up to \(gemmThreadCount) thread(s) (--threads N), the fp32 SIMD GEMV on one")
    print(pad("size", 6) + pad("encoding", 26) + pad("bytes", 11) + pad("m=1 µs", 10) + pad("vs fp32", 9)
          + batches.map { pad("m=\($0) µs", 11) }.joined() + "m16 / 16·m1")
    for n in sizes {
        var rng = BenchRNG(seed: UInt64(n))
        let w = Tensor(shape: [n, n], data: (0..<(n * n)).map { _ in rng.normal() * 0.02 })
        let xs = Tensor(shape: [16, n], data: (0..<(16 * n)).map { _ in rng.normal() })
        let x = Tensor(shape: [1, n], data: Array(xs.data[0..<n]))
        var y = [Float](repeating: 0, count: n)
        func fp32() {
            w.data.withUnsafeBufferPointer { wp in
                x.data.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        QuantKernels.gemvF32(wp.baseAddress!, rows: n, columns: n, x: xp.baseAddress!, y: yp.baseAddress!)
                    }
                }
            }
        }
        // Each row's ratio is against the fp32 time measured in that row's own rounds, so a
        // change of load during the run moves both sides alike.
        func row(_ name: String, bytes: Int, _ forward: (Tensor) -> Void) {
            var best = Double.infinity, fp32Best = Double.infinity
            for _ in 0..<9 {
                fp32Best = min(fp32Best, seconds(fp32))
                best = min(best, seconds { forward(x) })
            }
            var line = pad("\(n)", 6) + pad(name, 26) + pad("\(bytes)", 11) + pad(String(format: "%.0f", best * 1e6), 10)
                + pad(String(format: "%.3f×", best / fp32Best), 9)
            var last = 0.0
            for m in batches {
                let xm = Tensor(shape: [m, n], data: Array(xs.data[0..<(m * n)]))
                var t = Double.infinity
                for _ in 0..<3 { t = min(t, seconds { forward(xm) }) }
                line += pad(String(format: "%.0f", t * 1e6), 11)
                last = t
            }
            print(line + String(format: "%.2f", last / (16 * best)))
        }
        fp32()
        row("fp32 simd gemv", bytes: n * n * 4) { _ in fp32() }
        let cases: [(String, QuantFormat, QuantGranularity)] = [
            ("int8 channel symmetric", .int8Symmetric, .channel),
            ("int8 group128 affine", QuantFormat(bits: 8, scheme: .affine), .group(128)),
            ("int4 channel symmetric", QuantFormat(bits: 4), .channel),
            ("int4 group32 symmetric", QuantFormat(bits: 4), .group(32)),
            ("int4 group32 affine", QuantFormat(bits: 4, scheme: .affine), .group(32)),
            ("int4 group128 symmetric", QuantFormat(bits: 4), .group(128)),
            ("int4 group128 affine", QuantFormat(bits: 4, scheme: .affine), .group(128)),
            ("int3 channel symmetric", QuantFormat(bits: 3), .channel),
            ("int3 group128 symmetric", QuantFormat(bits: 3), .group(128)),
            ("int2 channel symmetric", QuantFormat(bits: 2), .channel),
            ("int2 group128 affine", QuantFormat(bits: 2, scheme: .affine), .group(128)),
        ]
        for (name, format, granularity) in cases {
            let q = try! QuantizedWeight(quantizing: w, format: format, granularity: granularity)
            row(name, bytes: q.storedBytes) { _ = q.forward($0) }
        }
        // W8A8: int8 weights × 8-bit activations → Int32 (quant-static / quant-dynamic).
        let staticQ = StaticInt8Linear(quantizing: w, activationRange: (x.data.min()!, x.data.max()!))
        let dynamicQ = DynamicInt8Linear(quantizing: w)
        row("int8-static (W8A8 u8)", bytes: n * n + n * 4) { _ = staticQ.forward($0) }
        row("int8-dynamic (W8A8 u8)", bytes: n * n + n * 4) { _ = dynamicQ.forward($0) }
    }
    runInt8BatchBenchmark(sizes: sizes, batch: 256)
}

/// Wall time of one run of `body`.
private func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Batch-`batch` throughput of the W8A8 encodings against fp32 `DenseWeight.forward` (sgemm)
/// and the weight-only int8 dequantize-tiles-then-sgemm path.
func runInt8BatchBenchmark(sizes: [Int], batch: Int) {
    print("\nW8A8 GEMM, batch \(batch) (min of 5 rounds, each interleaved with fp32; GOP/s = 2·batch·n² / time; ratio = time / fp32 dense.forward)")
    print(pad("size", 7) + pad("encoding", 26) + pad("ms", 10) + pad("GOP/s", 9) + "vs dense.forward")
    for n in sizes {
        var rng = BenchRNG(seed: UInt64(n) &+ 7)
        let w = Tensor(shape: [n, n], data: (0..<(n * n)).map { _ in rng.normal() * 0.02 })
        let x = Tensor(shape: [batch, n], data: (0..<(batch * n)).map { _ in rng.normal() })
        let dense = DenseWeight(w)
        var denseTime = Double.infinity
        func report(_ name: String, _ body: () -> Void) {
            var t = Double.infinity
            for _ in 0..<5 {
                denseTime = min(denseTime, seconds { _ = dense.forward(x) })
                t = min(t, seconds(body))
            }
            print(pad("\(n)", 7) + pad(name, 26) + pad(String(format: "%.2f", t * 1e3), 10)
                  + pad(String(format: "%.1f", 2 * Double(batch) * Double(n) * Double(n) / t / 1e9), 9)
                  + String(format: "%.3f×", t / denseTime))
        }
        _ = dense.forward(x)
        report("fp32 dense.forward") { _ = dense.forward(x) }
        let q8 = try! QuantizedWeight(quantizing: w, format: .int8Symmetric, granularity: .channel)
        report("int8 weight-only") { _ = q8.forward(x) }
        let staticQ = StaticInt8Linear(quantizing: w, activationRange: (x.data.min()!, x.data.max()!))
        let dynamicQ = DynamicInt8Linear(quantizing: w)
        report("int8-static (W8A8 u8)") { _ = staticQ.forward(x) }
        report("int8-dynamic (W8A8 u8)") { _ = dynamicQ.forward(x) }
    }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
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
