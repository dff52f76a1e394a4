import Foundation
import Pare
import PareCompress
import PareNN
import PareTensor

private let trainUsage = """
    usage: pare-bench train [--model PATH] [--context T] [--steps N] [--only gradient,full,lora]

    Training throughput of a decoder LM (default: the cached SmolLM2-135M GGUF from
    scripts/fetch-models, decoded to fp32) on one window of T tokens (default 256), against the
    fp32 GEMM rate measured in the same run:
      gradient  one forward + backward pass (`CausalDecoder.gradients`, checkpointed per block);
      full      one step of `finetune` (every parameter, Adam), timed as (N steps − 1 step) / (N − 1);
      lora      one step of `finetune lora_rank=8` on every Linear of the blocks, timed likewise.
    Tokens/s, and the training FLOP rate counted as issue 12 counts it (forward + backward = 3× the
    forward's FLOPs: Linear layers, the LM head and the causal attention products) as a share of
    the GEMM rate. The last line is the process's peak resident memory against the model's fp32
    bytes (run `--only lora` alone to read a LoRA fine-tune's own peak).

    examples:
      pare-bench train
      pare-bench train --only lora --steps 3
    """

/// `pare-bench train`: see `trainUsage`.
func runTrainBenchmark(arguments: [String]) {
    var modelPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    var context = 256, steps = 3, only = ["gradient", "full", "lora"]
    func fail(_ message: String, code: Int32 = 64) -> Never {
        FileHandle.standardError.write(Data("pare-bench train: \(message)\n".utf8))
        exit(code)
    }
    var rest = arguments[...]
    while let flag = rest.popFirst() {
        if flag == "--help" || flag == "-h" { print(trainUsage); exit(0) }
        guard let value = rest.popFirst() else { fail("\(flag) needs a value (see --help).") }
        switch flag {
        case "--model": modelPath = value
        case "--context":
            guard let n = Int(value), n >= 2 else { fail("--context takes a whole number of at least 2 tokens.") }
            context = n
        case "--steps":
            guard let n = Int(value), n >= 2 else { fail("--steps takes a whole number of at least 2 (a step is timed as a difference).") }
            steps = n
        case "--only":
            only = value.split(separator: ",").map(String.init)
            if let bad = only.first(where: { !["gradient", "full", "lora"].contains($0) }) {
                fail("no measurement is called '\(bad)' (known: gradient, full, lora).")
            }
        default: fail("unknown option \(flag) (see --help).")
        }
    }

    var decoder: CausalDecoder
    do {
        guard case .decoder(let d) = try GGUFCheckpoint.load(contentsOf: URL(fileURLWithPath: modelPath)).model else {
            fail("\(modelPath) is not a decoder language model; pass a decoder GGUF such as SmolLM2.", code: 1)
        }
        decoder = d
    } catch {
        fail("\(error)", code: 1)
    }
    // Training updates float weights: a GGUF's quantized blocks are decoded once, as a fine-tune
    // of a dequantized checkpoint starts.
    decoder.mapLinears { l in
        l.weight is DenseWeight ? l : Linear(name: l.name, weight: DenseWeight(l.weight.decoded()), bias: l.bias)
    }
    let s = decoder.spec
    let parameters = decoder.linears.filter { !(decoder.lmHeadIsTied && $0.name == decoder.lmHead.name) }
        .reduce(0) { $0 + $1.inFeatures * $1.outFeatures } + decoder.embedTokens.weight.count
    print("model \(s.modelType): \(s.layers) layers, hidden \(s.hiddenSize), vocab \(s.vocabSize), "
          + "\(String(format: "%.1f", Double(parameters) / 1e6))M parameters; window \(context) tokens; \(gemmThreadCount) threads")

    let gemmRate = measureGemmRate()
    print(String(format: "fp32 GEMM 1024³ A·Bᵀ, %d threads: %.1f GFLOP/s (best of 5)", gemmThreadCount, gemmRate))

    let linearFlops = 2.0 * Double(context) * Double(decoder.linears.reduce(0) { $0 + $1.inFeatures * $1.outFeatures })
    let attentionFlops = 2.0 * 2.0 * Double(context * (context + 1) / 2) * Double(s.heads * s.headDim * s.layers)
    let trainingFlops = 3 * (linearFlops + attentionFlops)
    func report(_ label: String, seconds: Double) {
        let rate = trainingFlops / seconds / 1e9
        print(label.padding(toLength: 34, withPad: " ", startingAt: 0)
              + String(format: "%8.2f s  %7.1f tokens/s  %6.1f GFLOP/s = %3.0f %% of the GEMM rate",
                       seconds, Double(context) / seconds, rate, 100 * rate / gemmRate))
    }

    var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    let tokens = (0..<context).map { _ -> Int in
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return Int(random % UInt64(s.vocabSize))
    }
    if only.contains("gradient") {
        let t = timeNs(reps: 3, warmup: 1) { _ = try! decoder.gradients(tokens: tokens) }
        report("forward + backward (checkpointed)", seconds: t.best / 1e9)
    }
    let model = Model(transformer: .decoder(decoder))
    let text = TextWindows(spec: TextSpec(path: "random", tokens: context * steps, context: context),
                           windows: Array(repeating: tokens, count: steps))
    func stepSeconds(_ settings: [String: String]) -> Double {
        func run(_ n: Int) -> Double {
            var all = settings
            all["steps"] = String(n)
            let method = try! Methods.make("finetune", settings: all)
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try! method.compress(model, context: CompressionContext(trainingText: text))
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        let one = run(1)
        return (run(steps) - one) / Double(steps - 1)
    }
    if only.contains("full") { report("finetune step (every parameter)", seconds: stepSeconds([:])) }
    if only.contains("lora") { report("finetune step (LoRA rank 8)", seconds: stepSeconds(["lora_rank": "8"])) }

    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let peak = Double(usage.ru_maxrss) * 1024
    print(String(format: "peak resident memory %.0f MB = %.2f× the model's %.0f MB of fp32 parameters",
                 peak / 1e6, peak / Double(parameters * 4), Double(parameters * 4) / 1e6))
}
