/// One metric of the record's shared vocabulary, and which way is better.
public struct MetricInfo: Equatable, Sendable {
    /// Who computes a metric, so each producer can list exactly what it reports.
    public enum Source: Sendable, Equatable {
        /// `Evaluator.metrics`: every classifier run against its base.
        case evaluator
        /// The pipeline around the method (its wall time).
        case pipeline
        /// The language-model and sentence-embedding evaluations of transformers.
        case transformerEvaluation
    }

    public let name: String
    public let higherIsBetter: Bool
    public let unit: String
    public let summary: String
    public let source: Source

    public init(name: String, higherIsBetter: Bool, unit: String, summary: String, source: Source) {
        self.name = name
        self.higherIsBetter = higherIsBetter
        self.unit = unit
        self.summary = summary
        self.source = source
    }
}

/// DESIGN.md's common metric names, defined once for the evaluators that compute them and the
/// store that ranks and plots them: every method reports these, so any two runs compare.
public enum MetricVocabulary {
    public static let all: [MetricInfo] = [
        .init(name: "accuracy", higherIsBetter: true, unit: "fraction", summary: "top-1 accuracy on the test set (an encoder: its base-trained probe on the compressed embeddings)", source: .evaluator),
        .init(name: "agreement", higherIsBetter: true, unit: "fraction",
              summary: "top-1 agreement with the base model, per test row, or per predicted token for language models", source: .evaluator),
        .init(name: "kl_to_base", higherIsBetter: false, unit: "nats",
              summary: "mean KL divergence of the base model's softmax from this one's, per test row, or per predicted token for language models", source: .evaluator),
        .init(name: "params_total", higherIsBetter: false, unit: "count", summary: "weights the model has, zero or not", source: .evaluator),
        .init(name: "params_nonzero", higherIsBetter: false, unit: "count", summary: "weights that are not zero", source: .evaluator),
        .init(name: "size_bytes", higherIsBetter: false, unit: "bytes", summary: "encoded size of every tensor as stored", source: .evaluator),
        .init(name: "base_size_bytes", higherIsBetter: false, unit: "bytes", summary: "size of the base model's tensors", source: .evaluator),
        .init(name: "compression_ratio", higherIsBetter: true, unit: "×", summary: "base_size_bytes / size_bytes", source: .evaluator),
        .init(name: "flops", higherIsBetter: false, unit: "FLOP/sample", summary: "floating-point operations per sample as executed (a transformer: per token, its Linear layers)", source: .evaluator),
        .init(name: "flops_effective", higherIsBetter: false, unit: "FLOP/sample", summary: "FLOPs counting only nonzero weights", source: .evaluator),
        .init(name: "latency_ms_p50", higherIsBetter: false, unit: "ms", summary: "median latency of one sample (batch 1; an encoder: one sentence)", source: .evaluator),
        .init(name: "latency_ms_p95", higherIsBetter: false, unit: "ms", summary: "95th-percentile latency of one sample (batch 1)", source: .evaluator),
        .init(name: "throughput_sps", higherIsBetter: true, unit: "samples/s", summary: "samples per second at batch 256 (an encoder: sentences per second in batches of 32)", source: .evaluator),
        .init(name: "compress_seconds", higherIsBetter: false, unit: "s", summary: "wall time the method took to compress", source: .pipeline),
        .init(name: "weight_rel_error", higherIsBetter: false, unit: "fraction", summary: "relative Frobenius error of the weights against the base", source: .evaluator),
        .init(name: "perplexity", higherIsBetter: false, unit: "ratio", summary: "exp of the mean next-token NLL on the test text", source: .transformerEvaluation),
        .init(name: "nll", higherIsBetter: false, unit: "nats/token", summary: "mean next-token negative log-likelihood on the test text", source: .transformerEvaluation),
        .init(name: "tokens_per_s", higherIsBetter: true, unit: "tokens/s", summary: "prefill tokens per second (batch 1, one window)", source: .transformerEvaluation),
        .init(name: "decode_ms_per_token", higherIsBetter: false, unit: "ms/token", summary: "time per generated token of KV-cache greedy decoding", source: .transformerEvaluation),
        .init(name: "embedding_cosine", higherIsBetter: true, unit: "cosine",
              summary: "mean cosine of each sentence embedding to the base model's", source: .transformerEvaluation),
        .init(name: "task_accuracy", higherIsBetter: true, unit: "fraction",
              summary: "share of labelled test prompts whose generated answer matches the label's words (choices: the choice named first)", source: .transformerEvaluation),
        .init(name: "teacher_agreement", higherIsBetter: true, unit: "fraction",
              summary: "share of test prompts whose generated answer matches the black-box teacher's answer, by the same rule", source: .transformerEvaluation),
        .init(name: "teacher_response_nll", higherIsBetter: false, unit: "nats/token",
              summary: "the student's mean NLL per token of the teacher's responses to the test prompts", source: .transformerEvaluation),
        .init(name: "teacher_queries", higherIsBetter: false, unit: "count",
              summary: "inputs a black-box teacher was actually asked (the rest came from the answer cache)", source: .pipeline),
    ]

    private static let byName: [String: MetricInfo] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func info(_ name: String) -> MetricInfo? { byName[name] }

    /// The direction of a known metric; nil for a metric outside the vocabulary.
    public static func higherIsBetter(_ name: String) -> Bool? { byName[name]?.higherIsBetter }

    /// The names `source` computes, in vocabulary order.
    public static func names(from source: MetricInfo.Source) -> [String] { all.filter { $0.source == source }.map(\.name) }

    /// The headline metrics `runs` and `leaderboard` show beside the ranked one.
    public static let headline = ["accuracy", "size_bytes", "compression_ratio", "latency_ms_p50",
                                   "perplexity", "embedding_cosine", "tokens_per_s"]
}
