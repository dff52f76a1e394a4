import Foundation
import PareTensor

/// The common metric vocabulary of DESIGN.md for one compressed model against its base.
public enum Evaluator {
    /// Every metric name `metrics` can return (the caller adds `compress_seconds`).
    /// The vocabulary's own list of them (`MetricVocabulary`, source `.evaluator`).
    public static let metricNames = MetricVocabulary.names(from: .evaluator)

    /// Evaluates `model` on `test` against `base`:
    /// - `accuracy`: top-1 on the test labels; `agreement`: fraction of rows where the model's
    ///   top-1 equals the base's; `kl_to_base`: mean over rows of KL(p_base ‖ p_model), natural log.
    /// - `params_total` / `params_nonzero`, `flops` / `flops_effective`: see `parameterCounts`, `flops`.
    /// - `size_bytes`, `base_size_bytes` as passed (the caller knows the stored sizes);
    ///   `compression_ratio` = base_size_bytes / size_bytes.
    /// - `latency_ms_p50` / `_p95` and `throughput_sps` unless `options.measureTiming` is false.
    /// - `weight_rel_error` only when `weightRelativeError` is defined (same layer shapes).
    public static func metrics(model: Model, base: Model, test: Dataset, sizeBytes: Int, baseSizeBytes: Int,
                               options: EvaluationOptions = .init()) throws -> [String: Double] {
        try check(model, test, role: "model")
        try check(base, test, role: "base model")
        guard model.classCount == base.classCount else {
            throw EvaluationError("The model has \(model.classCount) outputs but the base model has \(base.classCount).")
        }
        var result: [String: Double] = [:]
        var correct = 0, agree = 0, klTotal = 0.0
        for start in stride(from: 0, to: test.rowCount, by: max(1, options.batchSize)) {
            let range = start..<min(start + max(1, options.batchSize), test.rowCount)
            let x = test.rows(range)
            let logits = model.forward(x), baseLogits = base.forward(x)
            let predicted = argmaxRows(logits), basePredicted = argmaxRows(baseLogits)
            for (r, row) in range.enumerated() {
                if predicted[r] == test.labels[row] { correct += 1 }
                if predicted[r] == basePredicted[r] { agree += 1 }
            }
            klTotal += klSum(base: baseLogits, model: logits)
        }
        let n = Double(test.rowCount)
        result["accuracy"] = Double(correct) / n
        result["agreement"] = Double(agree) / n
        result["kl_to_base"] = klTotal / n
        let params = parameterCounts(model)
        result["params_total"] = Double(params.total)
        result["params_nonzero"] = Double(params.nonzero)
        result["size_bytes"] = Double(sizeBytes)
        result["base_size_bytes"] = Double(baseSizeBytes)
        result["compression_ratio"] = sizeBytes > 0 ? Double(baseSizeBytes) / Double(sizeBytes) : .infinity
        result["flops"] = Double(flops(model))
        result["flops_effective"] = Double(flopsEffective(model))
        if let error = weightRelativeError(model: model, base: base) { result["weight_rel_error"] = error }
        if options.measureTiming {
            let (p50, p95) = latency(model, on: test, options: options)
            result["latency_ms_p50"] = p50
            result["latency_ms_p95"] = p95
            result["throughput_sps"] = throughput(model, on: test, options: options)
        }
        return result
    }

    static func check(_ model: Model, _ data: Dataset, role: String) throws {
        guard !model.layers.isEmpty else { throw EvaluationError("The \(role) has no layers.") }
        guard data.rowCount > 0 else { throw EvaluationError("Dataset '\(data.name)' has no rows to evaluate on.") }
        guard model.inputWidth == data.featureCount else {
            throw EvaluationError("Dataset '\(data.name)' has \(data.featureCount) features but the \(role) takes \(model.inputWidth) inputs.")
        }
        guard data.classCount <= model.classCount else {
            throw EvaluationError("Dataset '\(data.name)' has labels up to \(data.classCount - 1) but the \(role) has only \(model.classCount) outputs.")
        }
    }

    /// Σ over rows of KL(softmax(base) ‖ softmax(model)), in Double.
    static func klSum(base: Tensor, model: Tensor) -> Double {
        let (n, c) = (base.rows, base.columns)
        var total = 0.0
        var lb = [Double](repeating: 0, count: c), lm = [Double](repeating: 0, count: c)
        for r in 0..<n {
            logSoftmaxRow(base.data, r * c, c, &lb)
            logSoftmaxRow(model.data, r * c, c, &lm)
            for j in 0..<c { total += exp(lb[j]) * (lb[j] - lm[j]) }
        }
        return total
    }

    private static func logSoftmaxRow(_ data: [Float], _ offset: Int, _ c: Int, _ out: inout [Double]) {
        var maximum = -Double.infinity
        for j in 0..<c { maximum = max(maximum, Double(data[offset + j])) }
        var sum = 0.0
        for j in 0..<c { sum += exp(Double(data[offset + j]) - maximum) }
        let logZ = maximum + log(sum)
        for j in 0..<c { out[j] = Double(data[offset + j]) - logZ }
    }

    /// Predicted classes (top-1) of `model` for every row, evaluated `batchSize` rows at a time.
    public static func predictions(_ model: Model, _ data: Dataset, batchSize: Int = 256) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(data.rowCount)
        for start in stride(from: 0, to: data.rowCount, by: max(1, batchSize)) {
            out += argmaxRows(model.forward(data.rows(start..<min(start + max(1, batchSize), data.rowCount))))
        }
        return out
    }

    /// Top-1 accuracy of `model` on `data`.
    public static func accuracy(_ model: Model, _ data: Dataset, batchSize: Int = 256) -> Double {
        let predicted = predictions(model, data, batchSize: batchSize)
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(max(1, data.rowCount))
    }

    /// Parameters as the model really is (a structurally pruned layer is smaller): every layer's
    /// out × in weights plus its bias entries; `nonzero` counts stored weights and biases ≠ 0.
    public static func parameterCounts(_ model: Model) -> (total: Int, nonzero: Int) {
        var total = 0, nonzero = 0
        for layer in model.layers {
            total += layer.weight.parameterCount + (layer.bias?.count ?? 0)
            nonzero += layer.weight.nonzeroCount + (layer.bias?.filter { $0 != 0 }.count ?? 0)
        }
        return (total, nonzero)
    }

    /// FLOPs per sample as executed: Σ over layers of the encoding's `flopsPerSample`
    /// (2·out·in for dense: one multiply and one add per weight) plus one add per bias entry.
    /// Activations are not counted. A 64→256→128→10 dense MLP with biases: 2·50 432 + 394 = 101 258.
    public static func flops(_ model: Model) -> Int {
        model.layers.reduce(0) { $0 + $1.weight.flopsPerSample + ($1.bias?.count ?? 0) }
    }

    /// FLOPs per sample counting only nonzero weights: 2 × nonzero weights + one add per bias entry.
    public static func flopsEffective(_ model: Model) -> Int {
        model.layers.reduce(0) { $0 + 2 * $1.weight.nonzeroCount + ($1.bias?.count ?? 0) }
    }

    /// ‖W − Ŵ‖_F / ‖W‖_F over all layer weights concatenated (decoded to dense), W the base's.
    /// Defined only when both models have the same number of layers with the same shapes; nil
    /// otherwise (structured pruning or factorisation change shapes, and then there is no
    /// element-wise correspondence to measure), and nil when the base weights are all zero.
    public static func weightRelativeError(model: Model, base: Model) -> Double? {
        guard model.layers.count == base.layers.count else { return nil }
        var difference = 0.0, reference = 0.0
        for (layer, baseLayer) in zip(model.layers, base.layers) {
            guard layer.outFeatures == baseLayer.outFeatures && layer.inFeatures == baseLayer.inFeatures else { return nil }
        }
        for (layer, baseLayer) in zip(model.layers, base.layers) {
            let w = layer.weight.decoded().data, b = baseLayer.weight.decoded().data
            for i in b.indices {
                let d = Double(w[i]) - Double(b[i])
                difference += d * d
                reference += Double(b[i]) * Double(b[i])
            }
        }
        guard reference > 0 else { return nil }
        return (difference / reference).squareRoot()
    }

    /// Batch-1 latency in milliseconds (p50, p95, nearest rank) of `model.forward` on real rows of
    /// `data` (cycling through the first 32), after warm-up; repeated until ≥ `minSeconds` and
    /// ≥ `latencyMinRepetitions`, at most `latencyMaxRepetitions` times.
    public static func latency(_ model: Model, on data: Dataset, options: EvaluationOptions = .init()) -> (p50: Double, p95: Double) {
        let samples = (0..<min(32, data.rowCount)).map { data.rows($0..<($0 + 1)) }
        let times = measure(minSeconds: options.minSeconds, warmup: options.warmupRepetitions,
                            minRepetitions: options.latencyMinRepetitions, maxRepetitions: options.latencyMaxRepetitions) { rep in
            _ = model.forward(samples[rep % samples.count])
        }
        return (percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000)
    }

    /// Samples per second at batch `throughputBatch` (rows of `data`, repeated if it has fewer):
    /// batch / median time of one forward pass, timed as `latency` is.
    public static func throughput(_ model: Model, on data: Dataset, options: EvaluationOptions = .init()) -> Double {
        let batch = max(1, options.throughputBatch)
        let x = data.rows((0..<batch).map { $0 % data.rowCount })
        let times = measure(minSeconds: options.minSeconds, warmup: min(3, options.warmupRepetitions),
                            minRepetitions: options.throughputMinRepetitions, maxRepetitions: options.throughputMaxRepetitions) { _ in
            _ = model.forward(x)
        }
        return Double(batch) / percentile(times, 0.5)
    }

    /// Seconds per call of `body`, one entry per timed repetition (monotonic clock).
    static func measure(minSeconds: Double, warmup: Int, minRepetitions: Int, maxRepetitions: Int,
                        _ body: (Int) -> Void) -> [Double] {
        for rep in 0..<max(0, warmup) { body(rep) }
        var times: [Double] = []
        let started = DispatchTime.now().uptimeNanoseconds
        let limit = max(1, maxRepetitions)
        while times.count < limit {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body(times.count)
            let t1 = DispatchTime.now().uptimeNanoseconds
            times.append(Double(t1 - t0) / 1e9)
            if times.count >= minRepetitions && Double(t1 - started) / 1e9 >= minSeconds { break }
        }
        return times
    }

    /// Nearest-rank percentile (q in 0…1) of unsorted values.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }
}
