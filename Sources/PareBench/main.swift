// pare-bench <name>: release-build benchmarks, one file per benchmark in this folder.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every benchmark: name, one-line description, entry point (gets the remaining arguments).
let benchmarks: [(name: String, about: String, run: ([String]) -> Void)] = [
    ("gemm", "fp32 GEMM GFLOP/s at 1024³ (A·Bᵀ and A·B, 1 and 2 threads) and batch-1 GEMV latency",
     runGemmBenchmark),
    ("quant", "batch-1 GEMV latency of int8/int4/int3/int2 and W8A8 weights against fp32 at 4096² and 8192² [--threads N]",
     { runQuantBenchmark(arguments: $0) }),
    ("sparse", "batch-1 sparse (CSR) vs dense latency at 50/70/90/95 % sparsity; structured 50 % ratio",
     { _ in runSparseBenchmark() }),
    ("lowrank", "SVD time of 1024×4096 layers and factored vs dense forward latency",
     { _ in runLowRankBenchmark() }),
    ("queries", "record 100k synthetic runs; leaderboard, pareto, summary, compare, export and CLI latency",
     { runQueryBenchmark(arguments: $0) }),
    ("gguf-load", "GGUFCheckpoint.load time of a GGUF (default: the cached SmolLM2) [PATH [OUT_DIR]]",
     { runGGUFLoadBenchmark(arguments: $0) }),
    ("decode", "fp32 prefill (512 tokens) and KV-cache decode tok/s of a decoder GGUF vs memory bandwidth and GEMM rate [PATH]",
     { runDecodeBenchmark(arguments: $0) }),
    ("llm", "SmolLM2 decode and prefill tok/s as fp32, int8, int4, pruned and structured-pruned, 1 and 2 threads [--help]",
     { runLLMBenchmark(arguments: $0) }),
    ("train", "decoder training tokens/s (gradient pass, full and LoRA fine-tune steps) vs the GEMM rate, peak memory [--help]",
     { runTrainBenchmark(arguments: $0) }),
]

let args = Array(CommandLine.arguments.dropFirst())
if let name = args.first, let bench = benchmarks.first(where: { $0.name == name }) {
    bench.run(Array(args.dropFirst()))
} else {
    if let name = args.first { print("pare-bench: unknown benchmark '\(name)'") }
    print("usage: pare-bench <name> [options]\n\navailable benchmarks:")
    for b in benchmarks { print("  \(b.name.padding(toLength: 8, withPad: " ", startingAt: 0))  \(b.about)") }
    exit(args.isEmpty ? 0 : 2)
}
