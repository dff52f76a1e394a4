/// How `Evaluator.metrics` measures. The timing policy: warm up, then repeat until both
/// `minSeconds` and the minimum repetitions are reached, capped at the maximum repetitions.
public struct EvaluationOptions: Sendable, Equatable {
    /// When false, `latency_ms_p50`, `latency_ms_p95` and `throughput_sps` are left out (tests).
    public var measureTiming: Bool
    /// Rows per forward pass when predicting (bounds memory on large test sets).
    public var batchSize: Int
    public var warmupRepetitions: Int
    public var minSeconds: Double
    public var latencyMinRepetitions: Int
    public var latencyMaxRepetitions: Int
    /// Samples per forward pass for `throughput_sps`.
    public var throughputBatch: Int
    public var throughputMinRepetitions: Int
    public var throughputMaxRepetitions: Int

    public init(measureTiming: Bool = true, batchSize: Int = 256, warmupRepetitions: Int = 10,
                minSeconds: Double = 0.2, latencyMinRepetitions: Int = 50, latencyMaxRepetitions: Int = 5000,
                throughputBatch: Int = 256, throughputMinRepetitions: Int = 5, throughputMaxRepetitions: Int = 1000) {
        self.measureTiming = measureTiming
        self.batchSize = batchSize
        self.warmupRepetitions = warmupRepetitions
        self.minSeconds = minSeconds
        self.latencyMinRepetitions = latencyMinRepetitions
        self.latencyMaxRepetitions = latencyMaxRepetitions
        self.throughputBatch = throughputBatch
        self.throughputMinRepetitions = throughputMinRepetitions
        self.throughputMaxRepetitions = throughputMaxRepetitions
    }

    /// Quality and size metrics only; no timing.
    public static let noTiming = EvaluationOptions(measureTiming: false)
}

/// Why a model cannot be evaluated on the given data.
public struct EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
