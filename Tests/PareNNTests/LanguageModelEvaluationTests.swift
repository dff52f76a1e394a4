import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The metrics of the tiny fixture decoders against scripts/fixtures/lm_metrics_reference.py,
/// which computes them in numpy from the fixtures' own reference logits.
@Suite struct LanguageModelEvaluationTests {
    struct Case: Decodable { let windows: [[Int]]; let positions: Int; let nll, perplexity, kl_to_base, agreement: Double }
    struct Reference: Decodable { let untied: Case; let swapped: Case; let swapped_rows: [[Int]] }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("evaluation/lm_metrics_tiny.json")))
    }

    static func windows(_ c: Case) -> TextWindows {
        TextWindows(spec: TextSpec(path: "fixture", tokens: 11, context: 8), windows: c.windows)
    }

    /// The tied decoder with some lm_head rows swapped: its logits are the reference's with
    /// those columns swapped.
    static func swapped(_ model: CausalDecoder, _ pairs: [[Int]]) -> CausalDecoder {
        var m = model
        var w = model.lmHead.weight.decoded()
        let h = w.columns
        for p in pairs {
            for j in 0..<h { w.data.swapAt(p[0] * h + j, p[1] * h + j) }
        }
        m.lmHead = Linear(name: "lm_head", weight: DenseWeight(w), bias: nil)
        m.lmHeadIsTied = false
        return m
    }

    func expectMatches(_ got: [String: Double], _ want: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(got["nll"]! - want.nll) < 1e-4, "nll \(got["nll"]!) vs \(want.nll)", sourceLocation: sourceLocation)
        #expect(abs(got["perplexity"]! / want.perplexity - 1) < 1e-4, "perplexity \(got["perplexity"]!)", sourceLocation: sourceLocation)
        #expect(abs(got["kl_to_base"]! - want.kl_to_base) < 1e-4, "kl \(got["kl_to_base"]!) vs \(want.kl_to_base)", sourceLocation: sourceLocation)
        #expect(got["agreement"] == want.agreement, "agreement \(got["agreement"]!)", sourceLocation: sourceLocation)
    }

    @Test func tiedAgainstUntiedMatchesNumpy() throws {
        let ref = try Self.reference()
        let w = Self.windows(ref.untied)
        #expect(w.predictedPositions == ref.untied.positions)
        let m = try LanguageModelEvaluation.metrics(model: TransformerFixtures.decoder("llama_tiny_tied"),
                                                    base: TransformerFixtures.decoder("llama_tiny_untied"),
                                                    windows: w, measureTiming: false)
        expectMatches(m, ref.untied)
        #expect(Set(m.keys) == ["nll", "perplexity", "kl_to_base", "agreement"])
    }

    @Test func swappedHeadRowsMatchNumpy() throws {
        let ref = try Self.reference()
        let base = try TransformerFixtures.decoder("llama_tiny_tied")
        var fractions: [Double] = []
        let m = try LanguageModelEvaluation.metrics(model: Self.swapped(base, ref.swapped_rows), base: base,
                                                    windows: Self.windows(ref.swapped), measureTiming: false) { f, _ in fractions.append(f) }
        expectMatches(m, ref.swapped)
        #expect(ref.swapped.agreement > 0 && ref.swapped.agreement < 1)
        #expect(fractions.first == 0 && fractions.last == 1 && fractions == fractions.sorted())
    }

    @Test func aModelAgainstItselfHasNoDivergenceAndFullAgreement() throws {
        let model = try TransformerFixtures.decoder("qwen2_tiny")
        let w = TextWindows(spec: TextSpec(path: "x", tokens: 40, context: 16), ids: (0..<40).map { ($0 * 7) % 64 })
        let m = try LanguageModelEvaluation.metrics(model: model, base: model, windows: w, measureTiming: false)
        #expect(m["kl_to_base"] == 0 && m["agreement"] == 1)
        #expect(abs(m["perplexity"]! - Foundation.exp(m["nll"]!)) < 1e-9)
        let alone = try LanguageModelEvaluation.metrics(model: model, base: nil, windows: w, measureTiming: false)
        #expect(alone["nll"] == m["nll"] && alone["kl_to_base"] == nil && alone["agreement"] == nil)
    }

    /// NLL by hand: a window's mean −log softmax(logits[t])[token t+1], from the model's logits.
    @Test func nllIsTheMeanOverAllPredictedPositions() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        let windows = [[3, 1, 4, 1, 5, 9], [2, 6, 5]]
        var total = 0.0, n = 0
        for window in windows {
            let logits = try model.logits(tokens: window)
            for t in 0..<window.count - 1 {
                let row = (0..<64).map { Double(logits.data[t * 64 + $0]) }
                let logZ = Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +))
                total += logZ - row[window[t + 1]]
                n += 1
            }
        }
        let m = try LanguageModelEvaluation.metrics(model: model, base: nil, windows: TextWindows(spec: TextSpec(path: "x"), windows: windows),
                                                    measureTiming: false)
        #expect(abs(m["nll"]! - total / Double(n)) < 1e-9)
    }

    @Test func timingAddsItsTwoMetrics() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_tied")
        let w = TextWindows(spec: TextSpec(path: "x", tokens: 32, context: 32), ids: Array(0..<32))
        let m = try LanguageModelEvaluation.metrics(model: model, base: nil, windows: w, measureTiming: true)
        #expect(m["tokens_per_s"]! > 0 && m["decode_ms_per_token"]! > 0)
        #expect(Set(m.keys).isSubset(of: LanguageModelEvaluation.metricNames))
        #expect(LanguageModelEvaluation.metricNames.allSatisfy { MetricVocabulary.info($0) != nil })   // one vocabulary
    }

    @Test func refusesMismatchedVocabulariesAndEmptyWindows() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_tied")
        var other = model
        other.spec.vocabSize = 65
        let w = TextWindows(spec: TextSpec(path: "x"), windows: [[1, 2, 3]])
        #expect(throws: EvaluationError.self) { try LanguageModelEvaluation.metrics(model: model, base: other, windows: w, measureTiming: false) }
        #expect(throws: EvaluationError.self) {
            try LanguageModelEvaluation.metrics(model: model, base: nil, windows: TextWindows(spec: TextSpec(path: "x"), windows: []), measureTiming: false)
        }
    }
}
