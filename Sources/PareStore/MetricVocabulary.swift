/// One metric every method reports, and which way is better.
public struct MetricInfo: Equatable, Sendable {
    public let name: String
    public let higherIsBetter: Bool
    public let unit: String
    public let summary: String
}

/// DESIGN.md's common metric names: every method reports these, so any two runs compare.
public enum MetricVocabulary {
    public static let all: [MetricInfo] = [
        .init(name: "accuracy", higherIsBetter: true, unit: "fraction", summary: "top-1 accuracy on the test set"),
        .init(name: "agreement", higherIsBetter: true, unit: "fraction", summary: "top-1 agreement with the base model on the test set"),
        .init(name: "kl_to_base", higherIsBetter: false, unit: "nats", summary: "mean KL divergence of the base model's softmax from this one's"),
        .init(name: "params_total", higherIsBetter: false, unit: "count", summary: "weights the model has, zero or not"),
        .init(name: "params_nonzero", higherIsBetter: false, unit: "count", summary: "weights that are not zero"),
        .init(name: "size_bytes", higherIsBetter: false, unit: "bytes", summary: "encoded size of every tensor as stored"),
        .init(name: "base_size_bytes", higherIsBetter: false, unit: "bytes", summary: "size of the base model's tensors"),
        .init(name: "compression_ratio", higherIsBetter: true, unit: "×", summary: "base_size_bytes / size_bytes"),
        .init(name: "flops", higherIsBetter: false, unit: "FLOP/sample", summary: "floating-point operations per sample as executed"),
        .init(name: "flops_effective", higherIsBetter: false, unit: "FLOP/sample", summary: "FLOPs counting only nonzero weights"),
        .init(name: "latency_ms_p50", higherIsBetter: false, unit: "ms", summary: "median latency of one sample (batch 1)"),
        .init(name: "latency_ms_p95", higherIsBetter: false, unit: "ms", summary: "95th-percentile latency of one sample (batch 1)"),
        .init(name: "throughput_sps", higherIsBetter: true, unit: "samples/s", summary: "samples per second at batch 256"),
        .init(name: "compress_seconds", higherIsBetter: false, unit: "s", summary: "wall time the method took to compress"),
        .init(name: "weight_rel_error", higherIsBetter: false, unit: "fraction", summary: "relative Frobenius error of the weights against the base"),
    ]

    private static let byName: [String: MetricInfo] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func info(_ name: String) -> MetricInfo? { byName[name] }

    /// The direction of a known metric; nil for a metric outside the vocabulary.
    public static func higherIsBetter(_ name: String) -> Bool? { byName[name]?.higherIsBetter }

    /// The headline metrics `runs` and `leaderboard` show beside the ranked one.
    public static let headline = ["accuracy", "size_bytes", "compression_ratio", "latency_ms_p50"]
}
