import Foundation
import PareNN
import PareTensor

/// `pare-bench decode [GGUF]`: fp32 inference speed of a decoder LM (default: the cached
/// SmolLM2-135M), against the two ceilings that bound it on this machine — memory read
/// bandwidth for decode (batch-1 GEMV streams every weight once per token) and the GEMM rate
/// for prefill (a 512-token window is a stack of large matrix products).
func runDecodeBenchmark(arguments: [String]) {
    let path = arguments.first ?? FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    let decoder: CausalDecoder
    do {
        guard case .decoder(let d) = try GGUFCheckpoint.load(contentsOf: URL(fileURLWithPath: path)).model else {
            print("decode: \(path) is not a decoder language model; pass a decoder GGUF such as SmolLM2")
            exit(1)
        }
        decoder = d
    } catch {
        print("decode: \(error)")
        exit(1)
    }
    let s = decoder.spec
    let weightBytes = decoder.linears.reduce(0) { $0 + $1.inFeatures * $1.outFeatures * 4 }
    print("model \(s.modelType): \(s.layers) layers, hidden \(s.hiddenSize), \(s.heads)/\(s.kvHeads) heads × \(s.headDim), "
          + "MLP \(s.intermediateSize), vocab \(s.vocabSize); Linear weights \(String(format: "%.0f", Double(weightBytes) / 1e6)) MB fp32; "
          + "\(gemmThreadCount) threads")

    let bandwidth = measureReadBandwidth()
    print(String(format: "memory read bandwidth (sum over 1 GiB): 1 thread %.1f GB/s, 2 threads %.1f GB/s "
                 + "→ decode ceiling ≈ %.0f tok/s", bandwidth.one, bandwidth.two, bandwidth.two * 1e9 / Double(weightBytes)))

    let gemmRate = measureGemmRate()
    print(String(format: "fp32 GEMM 1024³ A·Bᵀ, %d threads: %.1f GFLOP/s (best of 5)", gemmThreadCount, gemmRate))

    // Prefill: one 512-token causal window, logits for every position (what perplexity runs).
    let window = 512
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func nextToken() -> Int {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Int(state % UInt64(s.vocabSize))
    }
    let tokens = (0..<window).map { _ in nextToken() }
    let prefill = timeNs(reps: 3, warmup: 1) { _ = try! decoder.logits(tokens: tokens) }
    let linearFlops = 2.0 * Double(window) * Double(weightBytes / 4)
    // q·kᵀ and p·v over the causal half of the T×T scores, every head of every layer.
    let attentionFlops = 2.0 * 2.0 * Double(window * (window + 1) / 2) * Double(s.heads * s.headDim * s.layers)
    let prefillRate = (linearFlops + attentionFlops) / prefill.median
    print(String(format: "prefill %d tokens: median %.1f ms (best %.1f) = %.0f tok/s, %.1f GFLOP/s = %.0f %% of the GEMM rate",
                 window, prefill.median / 1e6, prefill.best / 1e6, Double(window) * 1e9 / prefill.median,
                 prefillRate, 100 * prefillRate / gemmRate))

    // Decode: a short prompt, then one token at a time through the KV cache.
    let steps = 64
    var stepTimes: [Double] = []
    for round in 0..<2 {
        var cache = decoder.makeCache(reservingPositions: 8 + steps)
        _ = try! decoder.logits(tokens: Array(tokens.prefix(8)), cache: &cache)
        var token = tokens[8]
        var times: [Double] = []
        for _ in 0..<steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let logits = try! decoder.decode(token: token, cache: &cache)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
            token = argmax(logits.data)
        }
        if round == 1 { stepTimes = times.sorted() }
    }
    let median = stepTimes[steps / 2]
    print(String(format: "decode %d steps after an 8-token prompt: median step %.2f ms = %.1f tok/s (best %.2f ms), "
                 + "%.1f GB/s of weights = %.0f %% of the 2-thread read bandwidth",
                 steps, median / 1e6, 1e9 / median, stepTimes[0] / 1e6, Double(weightBytes) / median,
                 100 * Double(weightBytes) / median / bandwidth.two))

    // The chunked causal prefill must agree with token-by-token decoding through the cache.
    let checkTokens = Array(tokens.prefix(150))
    let full = try! decoder.logits(tokens: checkTokens)
    var checkCache = decoder.makeCache(reservingPositions: checkTokens.count)
    var worst: Float = 0
    for (t, token) in checkTokens.enumerated() {
        let step = try! decoder.decode(token: token, cache: &checkCache)
        for j in 0..<s.vocabSize { worst = max(worst, abs(step.data[j] - full.data[t * s.vocabSize + j])) }
    }
    print(String(format: "check: %d-token prefill vs cached decode, max |Δ logit| = %.2e", checkTokens.count, worst))

    printLinearBreakdown(decoder, rows: 1, total: median, label: "decode step")
    printLinearBreakdown(decoder, rows: window, total: prefill.median, label: "prefill")
}

/// Time of each kind of Linear (q_proj, …, lm_head) at `rows` input rows, every layer's instance
/// in turn (distinct weights, so at batch 1 they stream from memory as in a real step), as a
/// share of `total`; what is left is attention, norms, RoPE and glue.
private func printLinearBreakdown(_ decoder: CausalDecoder, rows: Int, total: Double, label: String) {
    var byKind: [(String, Double)] = []
    let all = decoder.linears
    let kinds = all.map { $0.name.split(separator: ".").last.map(String.init) ?? $0.name }
    for kind in kinds where !byKind.contains(where: { $0.0 == kind }) {
        let layers = zip(kinds, all).filter { $0.0 == kind }.map(\.1)
        let width = layers[0].inFeatures
        let x = Tensor(shape: [rows, width], data: (0..<rows * width).map { Float($0 % 7) * 0.1 - 0.3 })
        let t = timeNs(reps: rows == 1 ? 9 : 1, warmup: 1) { for l in layers { _ = l.forward(x) } }
        byKind.append((kind, t.median))
    }
    let linearTotal = byKind.reduce(0) { $0 + $1.1 }
    let parts = byKind.map { String(format: "%@ %.2f", $0.0, $0.1 / 1e6) }.joined(separator: ", ")
    print(String(format: "  %@ breakdown (ms, each Linear kind alone × its count): %@; rest (attention, norms, glue) %.2f of %.2f",
                 label, parts, (total - linearTotal) / 1e6, total / 1e6))
}

private func argmax(_ v: [Float]) -> Int {
    var best = 0
    for i in v.indices where v[i] > v[best] { best = i }
    return best
}

/// GB/s of summing a 1 GiB Float buffer (far larger than any cache), one thread and two.
private func measureReadBandwidth() -> (one: Double, two: Double) {
    let count = 1 << 28
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: count)
    let base = UnsafeSendable(pointer: UnsafePointer(buffer))
    @Sendable func sum(_ lo: Int, _ hi: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let raw = UnsafeRawPointer(base.pointer)
        var o = lo * 4
        while o < hi * 4 {
            a0 += raw.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self)
            o += 256
        }
        return (a0 + a1 + a2 + a3).sum()
    }
    var sink: Float = 0
    let one = timeNs(reps: 3, warmup: 1) { sink += sum(0, count) }
    let two = timeNs(reps: 3, warmup: 1) {
        DispatchQueue.concurrentPerform(iterations: 2) { t in _ = sum(t * count / 2, (t + 1) * count / 2) }
    }
    if sink == 42 { print("") }   // keep the single-thread sums alive
    let bytes = Double(count * 4)
    return (bytes / one.best, bytes / two.best)
}

/// The fp32 GEMM rate in GFLOP/s at 1024³ in the Linear layout on `gemmThreadCount` threads, as
/// `pare-bench gemm` measures it (the ceiling prefill and training are compared with).
func measureGemmRate() -> Double {
    let n = 1024
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    let t = timeNs(reps: 5) {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            sgemm(.no, .yes, m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                  c: pc.baseAddress!, ldc: n)
        } } }
    }
    return 2.0 * Double(n * n * n) / t.best
}

private struct UnsafeSendable: @unchecked Sendable { let pointer: UnsafePointer<Float> }
