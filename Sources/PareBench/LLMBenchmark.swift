import Foundation
import Pare
import PareCompress
import PareNN
import PareTensor

/// One model `pare-bench llm` times: the base decoder compressed by one of Pare's methods, built
/// in-process as `pare record` would (the GGUF-equivalent ones named after their llama.cpp type).
struct LLMVariant {
    let name: String
    let method: String
    let settings: [String: String]
}

/// The deployment formats of issue 13 on SmolLM2: the quantized ones include the (tied) LM head,
/// as llama.cpp's GGUF types quantize it, since at batch 1 its 49k×576 fp32 rows would otherwise
/// be most of an int4 step's bytes. (Group 128 does not divide SmolLM2's width 576 = 4.5 × 128, so
/// the group-wise int4 variant beside Q4_0's group 32 uses groups of 64 on every layer.)
let llmVariants: [LLMVariant] = [
    .init(name: "fp32", method: "none", settings: [:]),
    .init(name: "int8-g32 (Q8_0)", method: "quant-weight",
          settings: ["bits": "8", "granularity": "group", "group_size": "32", "scheme": "symmetric",
                     "layers": "model.layers.*,lm_head"]),
    .init(name: "int4-g32 (Q4_0)", method: "quant-weight",
          settings: ["bits": "4", "granularity": "group", "group_size": "32", "scheme": "symmetric",
                     "layers": "model.layers.*,lm_head"]),
    .init(name: "int4-g64", method: "quant-weight",
          settings: ["bits": "4", "granularity": "group", "group_size": "64", "scheme": "symmetric",
                     "layers": "model.layers.*,lm_head"]),
    .init(name: "2:4 pruned", method: "prune-nm", settings: ["n": "2", "m": "4"]),
    .init(name: "50% unstructured", method: "prune-magnitude", settings: ["amount": "0.5"]),
    .init(name: "MLP channels −50%", method: "prune-structured", settings: ["target": "channels", "amount": "0.5"]),
]

/// One measurement row.
private struct LLMTiming {
    var model: String, threads: Int, weightMB: Double
    var decodeTokensPerS: Double, prefillTokensPerS: Double
}

private let llmUsage = """
    usage: pare-bench llm [--model PATH] [--threads 1,2] [--only NAME,...] [--reps N] [--format table|csv|json]

    Decode and prefill speed of SmolLM2-135M (default: the cached GGUF from scripts/fetch-models)
    as fp32 and compressed in-process by Pare's own methods: int8 and int4 groups of 32 (the
    Q8_0 / Q4_0 equivalents), int4 groups of 64, 2:4 and 50 % unstructured pruning, and 50 % of
    the MLP channels pruned. Decode: tokens/s at batch 1, 128 greedy tokens after a 128-token
    prompt. Prefill: tokens/s of one 512-token prompt (logits of its last position, as a
    generation's prompt processing and llama-bench's pp512). Best of --reps runs (default 1).

    --only takes names or prefixes of the models: fp32, int8, int4-g32, int4-g64, 2:4, 50%, MLP.

    examples:
      pare-bench llm
      pare-bench llm --threads 1 --only fp32,int4-g32 --format csv
    """

/// `pare-bench llm`: see `llmUsage`.
func runLLMBenchmark(arguments: [String]) {
    var modelPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    var threadCounts = [1, 2], only: [String]? = nil, reps = 1, format = "table"
    func fail(_ message: String, code: Int32 = 64) -> Never {
        FileHandle.standardError.write(Data("pare-bench llm: \(message)\n".utf8))
        exit(code)
    }
    var rest = arguments[...]
    while let flag = rest.popFirst() {
        if flag == "--help" || flag == "-h" { print(llmUsage); exit(0) }
        guard let value = rest.popFirst() else { fail("\(flag) needs a value (see --help).") }
        switch flag {
        case "--model": modelPath = value
        case "--threads":
            let counts = value.split(separator: ",").map { Int($0) }
            guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                fail("--threads takes positive whole numbers separated by commas, e.g. 1,2.")
            }
            threadCounts = counts.map { $0! }
        case "--only": only = value.split(separator: ",").map(String.init)
        case "--reps":
            guard let n = Int(value), n > 0 else { fail("--reps takes a positive whole number.") }
            reps = n
        case "--format":
            guard ["table", "csv", "json"].contains(value) else { fail("--format is table, csv or json.") }
            format = value
        default: fail("unknown option \(flag) (see --help).")
        }
    }
    let variants = llmVariants.filter { v in only.map { names in names.contains { v.name.hasPrefix($0) } } ?? true }
    if let only, let unknown = only.first(where: { name in !llmVariants.contains { $0.name.hasPrefix(name) } }) {
        fail("no model is called '\(unknown)' (known: \(llmVariants.map(\.name).joined(separator: ", "))).")
    }

    let base: CausalDecoder
    do {
        guard case .decoder(let d) = try GGUFCheckpoint.load(contentsOf: URL(fileURLWithPath: modelPath)).model else {
            fail("\(modelPath) is not a decoder language model; pass a decoder GGUF such as SmolLM2.", code: 1)
        }
        base = d
    } catch {
        fail("\(error)", code: 1)
    }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let tokens = (0..<512).map { _ -> Int in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Int(state % UInt64(base.spec.vocabSize))
    }
    let savedThreads = gemmThreadCount
    defer { gemmThreadCount = savedThreads }
    var rows: [LLMTiming] = []
    let bar = ProgressBar(label: "llm")
    let total = Double(variants.count * threadCounts.count)
    for v in variants {
        bar.update(Double(rows.count) / total, "compressing \(v.name)")
        let decoder: CausalDecoder
        do {
            decoder = try compressDecoder(base, method: v.method, settings: v.settings)
        } catch {
            fail("\(v.name): \(error)", code: 1)
        }
        let megabytes = Double(decoder.linears.reduce(0) { $0 + $1.weight.storedBytes }) / 1e6
        for threads in threadCounts {
            bar.update(Double(rows.count) / total, "\(v.name), \(threads) thread\(threads == 1 ? "" : "s")")
            gemmThreadCount = threads
            var decode = 0.0, prefill = 0.0
            for _ in 0..<reps {
                decode = max(decode, decodeTokensPerSecond(decoder, prompt: Array(tokens.prefix(128)), steps: 128))
                prefill = max(prefill, prefillTokensPerSecond(decoder, prompt: tokens))
            }
            rows.append(LLMTiming(model: v.name, threads: threads, weightMB: megabytes,
                                  decodeTokensPerS: decode, prefillTokensPerS: prefill))
        }
    }
    bar.finish()
    printLLMTimings(rows, format: format)
}

/// The base model compressed by `method`, as `pare record` would build it (one-shot, no calibration).
private func compressDecoder(_ base: CausalDecoder, method: String, settings: [String: String]) throws -> CausalDecoder {
    let compressor = try Methods.make(method, settings: settings)
    try compressor.checkTransformerSupport()
    let model = Model(transformer: .decoder(base))
    try compressor.validate(model, context: CompressionContext())
    guard case .decoder(let d)? = try compressor.compress(model, context: CompressionContext()).model.transformer else {
        throw PareError("\(method) did not return a decoder")
    }
    return d
}

/// Tokens/s of `steps` greedy decoding steps with the KV cache after prefilling `prompt` (untimed),
/// the way `decode_ms_per_token` is measured (`CausalDecoder.decode`).
private func decodeTokensPerSecond(_ decoder: CausalDecoder, prompt: [Int], steps: Int) -> Double {
    var cache = decoder.makeCache(reservingPositions: prompt.count + steps)
    var logits = try! decoder.prefill(tokens: prompt, cache: &cache)
    let t0 = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<steps {
        logits = try! decoder.decode(token: argmaxIndex(logits.data), cache: &cache)
    }
    return Double(steps) * 1e9 / Double(DispatchTime.now().uptimeNanoseconds - t0)
}

/// Tokens/s of one prefill of `prompt` into an empty cache.
private func prefillTokensPerSecond(_ decoder: CausalDecoder, prompt: [Int]) -> Double {
    var cache = decoder.makeCache(reservingPositions: prompt.count)
    let t0 = DispatchTime.now().uptimeNanoseconds
    _ = try! decoder.prefill(tokens: prompt, cache: &cache)
    return Double(prompt.count) * 1e9 / Double(DispatchTime.now().uptimeNanoseconds - t0)
}

private func argmaxIndex(_ v: [Float]) -> Int {
    var best = 0
    for i in v.indices where v[i] > v[best] { best = i }
    return best
}

private func printLLMTimings(_ rows: [LLMTiming], format: String) {
    let fp32 = Dictionary(rows.filter { $0.model == "fp32" }.map { ($0.threads, $0.decodeTokensPerS) }) { a, _ in a }
    switch format {
    case "csv":
        print("model,threads,weight_mb,decode_tokens_per_s,prefill_tokens_per_s")
        for r in rows {
            print("\"\(r.model)\",\(r.threads),\(String(format: "%.1f", r.weightMB)),"
                  + String(format: "%.2f,%.2f", r.decodeTokensPerS, r.prefillTokensPerS))
        }
    case "json":
        let objects = rows.map { r in
            "{\"model\": \"\(r.model)\", \"threads\": \(r.threads), \"weight_mb\": \(String(format: "%.1f", r.weightMB)), "
                + String(format: "\"decode_tokens_per_s\": %.2f, \"prefill_tokens_per_s\": %.2f}", r.decodeTokensPerS, r.prefillTokensPerS)
        }
        print("[\n  " + objects.joined(separator: ",\n  ") + "\n]")
    default:
        print("model                threads  Linear MB  decode tok/s  ms/token  vs fp32  prefill tok/s")
        for r in rows {
            let speedup = fp32[r.threads].map { String(format: "%6.2f×", r.decodeTokensPerS / $0) } ?? "      –"
            print(r.model.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: " %7ld  %9.1f  %12.1f  %8.2f  %@  %13.1f", r.threads, r.weightMB, r.decodeTokensPerS,
                           1000 / r.decodeTokensPerS, speedup, r.prefillTokensPerS))
        }
    }
}
