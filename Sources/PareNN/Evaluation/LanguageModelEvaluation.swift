import Foundation
import PareTensor

/// DESIGN.md's language-model metrics of a decoder on text windows, against an optional base.
public enum LanguageModelEvaluation {
    /// Every metric name `metrics` can return.
    public static let metricNames = ["nll", "perplexity", "kl_to_base", "agreement", "tokens_per_s", "decode_ms_per_token"]

    /// Greedy decoding steps timed for `decode_ms_per_token`, after a prompt of `decodePrompt` tokens.
    public static let decodeSteps = 16
    public static let decodePrompt = 8
    /// Timed prefills of the first window for `tokens_per_s` (the median is reported).
    public static let prefillRepetitions = 3

    /// Scores every predicted position (position t of a window predicting token t + 1), each
    /// window in one prefill of `model` (and of `base`):
    /// - `nll`: mean negative log-likelihood in nats per predicted token over all windows
    ///   (log-softmax accumulated in Double); `perplexity` = exp(nll).
    /// - `kl_to_base`: mean over positions of KL(p_base ‖ p_model), natural log, as `Evaluator`;
    ///   `agreement`: the fraction of positions whose argmax (first index on ties) equals the
    ///   base's. Both only with a base; with base == model they are 0 and 1.
    /// - With `measureTiming`: `tokens_per_s`, the batch-1 prefill throughput on the first
    ///   window (its length / the median of `prefillRepetitions` timed prefills, the scoring
    ///   pass serving as warm-up), and `decode_ms_per_token`, the median wall time of one greedy
    ///   step with the KV cache over `decodeSteps` steps after the window's first
    ///   `decodePrompt` tokens.
    /// `progress` gets the fraction done and what is being done.
    public static func metrics(model: CausalDecoder, base: CausalDecoder?, windows: TextWindows, measureTiming: Bool,
                               progress: (Double, String) -> Void = { _, _ in }) throws -> [String: Double] {
        guard !windows.windows.isEmpty, windows.predictedPositions > 0 else {
            throw EvaluationError("'\(windows.name)' has no window of 2 or more tokens to score.")
        }
        if let base, base.spec.vocabSize != model.spec.vocabSize {
            throw EvaluationError("The model has a vocabulary of \(model.spec.vocabSize) but the base model has \(base.spec.vocabSize); compare models that share a tokenizer.")
        }
        var totals = PositionTotals()
        let count = windows.windows.count
        for (i, window) in windows.windows.enumerated() {
            progress(Double(i) / Double(count), "window \(i + 1) of \(count)")
            let logits = try model.logits(tokens: window)
            let baseLogits = try base?.logits(tokens: window)
            totals.add(logits: logits, base: baseLogits, tokens: window)
        }
        let n = Double(totals.positions)
        var result = ["nll": totals.nll / n, "perplexity": Foundation.exp(totals.nll / n)]
        if base != nil {
            result["kl_to_base"] = totals.kl / n
            result["agreement"] = Double(totals.agree) / n
        }
        if measureTiming {
            progress(1, "timing prefill")
            let first = windows.windows[0]
            let times = Evaluator.measure(minSeconds: 0, warmup: 0, minRepetitions: prefillRepetitions,
                                          maxRepetitions: prefillRepetitions) { _ in _ = try? model.logits(tokens: first) }
            result["tokens_per_s"] = Double(first.count) / Evaluator.percentile(times, 0.5)
            progress(1, "timing decode")
            result["decode_ms_per_token"] = try decodeMilliseconds(model, prompt: Array(first.prefix(decodePrompt)))
        }
        progress(1, "done")
        return result
    }

    /// The median ms of one greedy decoding step with the KV cache, `decodeSteps` steps after
    /// prefilling `prompt` (the prefill is not timed).
    static func decodeMilliseconds(_ model: CausalDecoder, prompt: [Int]) throws -> Double {
        var cache = model.makeCache(reservingPositions: prompt.count + decodeSteps)
        var logits = try model.prefill(tokens: prompt, cache: &cache)
        var times: [Double] = []
        for _ in 0..<decodeSteps {
            let last = logits.rows - 1, v = logits.columns
            let next = argmax(logits.data, offset: last * v, count: v)
            let t0 = DispatchTime.now().uptimeNanoseconds
            logits = try model.decode(token: next, cache: &cache)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return Evaluator.percentile(times, 0.5)
    }

    /// Sums over predicted positions.
    struct PositionTotals {
        var nll = 0.0, kl = 0.0
        var agree = 0, positions = 0
        private var logp: [Double] = [], baseLogp: [Double] = []

        mutating func add(logits: Tensor, base: Tensor?, tokens: [Int]) {
            let v = logits.columns
            if logp.count != v { logp = [Double](repeating: 0, count: v); baseLogp = logp }
            for t in 0..<tokens.count - 1 {
                logSoftmax(logits.data, offset: t * v, into: &logp)
                nll -= logp[tokens[t + 1]]
                positions += 1
                guard let base else { continue }
                logSoftmax(base.data, offset: t * v, into: &baseLogp)
                kl += klDivergence(baseLogp, logp)
                if argmax(logits.data, offset: t * v, count: v) == argmax(base.data, offset: t * v, count: v) { agree += 1 }
            }
        }
    }

    /// log softmax of `data[offset..<offset + out.count]` in Double: x − max − log Σ exp(x − max).
    static func logSoftmax(_ data: [Float], offset: Int, into out: inout [Double]) {
        let c = out.count
        data.withUnsafeBufferPointer { d in
            var maximum = -Float.infinity
            for j in 0..<c { maximum = max(maximum, d[offset + j]) }
            let m = Double(maximum)
            var sum = 0.0
            out.withUnsafeMutableBufferPointer { o in
                for j in 0..<c { o[j] = Double(d[offset + j]) - m; sum += Foundation.exp(o[j]) }
                let logZ = Foundation.log(sum)
                for j in 0..<c { o[j] -= logZ }
            }
        }
    }

    /// KL(p ‖ q) = Σ p (log p − log q) from log-probabilities; terms with p = 0 contribute 0.
    static func klDivergence(_ logP: [Double], _ logQ: [Double]) -> Double {
        var total = 0.0
        for j in logP.indices {
            let p = Foundation.exp(logP[j])
            if p > 0 { total += p * (logP[j] - logQ[j]) }
        }
        return total
    }

    /// The first index of the largest value.
    static func argmax(_ data: [Float], offset: Int, count: Int) -> Int {
        var best = 0, value = -Float.infinity
        for j in 0..<count where data[offset + j] > value { value = data[offset + j]; best = j }
        return best
    }
}
