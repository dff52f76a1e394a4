import Foundation
import PareNN
import PareStore
import PareTensor

/// The metrics of a compressed transformer against its base, in the common vocabulary:
/// sizes, parameters and FLOPs per token as for an MLP, then what the model is for —
/// perplexity, NLL, per-token KL and agreement, prefill and decode speed for a decoder LM;
/// `embedding_cosine` and the probe's `accuracy` for an encoder.
enum TransformerEvaluation {
    static func metrics(model: Model, base: ModelIO.Loaded, data: RunData, sizeBytes: Int, store: (any RunTracker)?,
                        measureTiming: Bool, progress: @escaping @Sendable (Double, String) -> Void) throws -> [String: Double] {
        guard let transformer = model.transformer, let baseTransformer = base.model.transformer else {
            throw PareError("a transformer run needs a transformer model and base.")
        }
        var result = common(model: model, base: base, sizeBytes: sizeBytes)
        let report: (Double, String) -> Void = { f, label in progress(f, "evaluate \(label)") }
        switch (transformer, baseTransformer, data.test) {
        case (.decoder(let decoder), .decoder(let baseDecoder), .text(let windows)):
            let lm = try LanguageModelEvaluation.metrics(model: decoder, base: baseDecoder, windows: windows,
                                                         measureTiming: measureTiming, progress: report)
            result.merge(lm) { _, new in new }
        case (.decoder, .decoder, .prompts):
            // The task metrics (task_accuracy, teacher_agreement, teacher_response_nll) need the
            // teacher's answers, so the method that asked the teacher reports them.
            break
        case (.encoder(let encoder), .encoder(let baseEncoder), .sentences(let test)):
            guard let tokenizer = base.tokenizer else { throw PareError("the encoder has no tokenizer (tokenizer.json) to embed its sentences.") }
            let mine = try EncoderEvaluation.embeddings(model: encoder, tokenizer: tokenizer, texts: test.texts,
                                                        progress: { f, l in report(0.5 * f, l) })
            let theirs = try EncoderEvaluation.embeddings(model: baseEncoder, tokenizer: tokenizer, texts: test.texts,
                                                          progress: { f, l in report(0.5 + 0.3 * f, "base \(l)") })
            result["embedding_cosine"] = EncoderEvaluation.embeddingCosine(mine, theirs)
            if let train = data.trainSentences, let labels = test.labels {
                let probe = try probe(for: base, encoder: baseEncoder, tokenizer: tokenizer, train: train, store: store,
                                      progress: { f, l in report(0.8 + 0.2 * f, "probe \(l)") })
                result["accuracy"] = probe.accuracy(mine, labels: labels)
            }
            if measureTiming { result.merge(try encoderSpeed(encoder, tokenizer: tokenizer, texts: test.texts)) { _, new in new } }
        default:
            throw PareError("the test data does not fit the model (a decoder LM takes text: or prompts:, an encoder sentences:).")
        }
        return result
    }

    /// Sizes, parameters (a tied lm_head counted once) and FLOPs per token of the Linear layers
    /// as executed (attention's score and value products, which grow with the context, are not
    /// counted; nor are norms and activations).
    static func common(model: Model, base: ModelIO.Loaded, sizeBytes: Int) -> [String: Double] {
        var result: [String: Double] = [:]
        let nonLinear = model.transformer?.nonLinearTensors ?? []
        let tied = model.transformer?.sharesEmbeddingWithLMHead == true
        let counted = model.layers.filter { !(tied && $0.name == "lm_head") }
        result["params_total"] = Double(model.parameterCount)
        result["params_nonzero"] = Double(counted.reduce(0) { $0 + $1.weight.nonzeroCount + ($1.bias?.filter { $0 != 0 }.count ?? 0) }
            + nonLinear.reduce(0) { total, entry in   // a factored token embedding counts its factors' values
                if let f = model.transformer?.tokenEmbeddingFactors, entry.name == f.name + ".weight" { return total + f.factors.nonzeroCount }
                return total + entry.tensor.data.filter { $0 != 0 }.count
            })
        result["size_bytes"] = Double(sizeBytes)
        result["base_size_bytes"] = Double(base.sizeBytes)
        result["compression_ratio"] = sizeBytes > 0 ? Double(base.sizeBytes) / Double(sizeBytes) : .infinity
        result["flops"] = Double(Evaluator.flops(model))
        result["flops_effective"] = Double(Evaluator.flopsEffective(model))
        if let error = Evaluator.weightRelativeError(model: model, base: base.model) { result["weight_rel_error"] = error }
        return result
    }

    /// The probe of the base encoder on `train`: from the store when a run trained it before,
    /// else trained now on the base model's embeddings and kept there.
    static func probe(for base: ModelIO.Loaded, encoder: BertModel, tokenizer: any Tokenizer, train: SentenceSet,
                      store: (any RunTracker)?, progress: @escaping (Double, String) -> Void) throws -> LinearProbe {
        if let json = try store?.probe(model: base.hash, dataset: train.contentHash),
           let cached = try? JSONDecoder().decode(LinearProbe.self, from: Data(json.utf8)) {
            return cached
        }
        guard let labels = train.labels, let classes = train.classCount else {
            throw PareError("--train \(train.name) has no labels to train the probe on.")
        }
        let embeddings = try EncoderEvaluation.embeddings(model: encoder, tokenizer: tokenizer, texts: train.texts,
                                                          progress: { f, l in progress(0.9 * f, l) })
        progress(0.9, "training")
        let probe = LinearProbe.train(embeddings: embeddings, labels: labels, classes: classes)
        if let store {
            let json = String(decoding: try JSONEncoder().encode(probe), as: UTF8.self)
            try store.recordProbe(model: base.hash, dataset: train.contentHash, json: json,
                                  trainAccuracy: probe.accuracy(embeddings, labels: labels))
        }
        return probe
    }

    /// `latency_ms_p50`/`_p95` of one sentence embedding (batch 1, the test sentences in turn)
    /// and `throughput_sps` in sentences per second over packed batches of 32.
    static func encoderSpeed(_ encoder: BertModel, tokenizer: any Tokenizer, texts: [String]) throws -> [String: Double] {
        let sample = Array(texts.prefix(32))
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15 }
        var times: [Double] = []
        for (i, text) in sample.enumerated() {
            let d = try clock.measure { _ = try Inference.embed(encoder, tokenizer: tokenizer, sentence: text) }
            if i > 0 || sample.count == 1 { times.append(ms(d)) }   // the first warms the caches
        }
        let batch = try clock.measure {
            _ = try EncoderEvaluation.embeddings(model: encoder, tokenizer: tokenizer, texts: sample, batch: 32)
        }
        return ["latency_ms_p50": Evaluator.percentile(times, 0.5), "latency_ms_p95": Evaluator.percentile(times, 0.95),
                "throughput_sps": Double(sample.count) / (ms(batch) / 1000)]
    }
}
