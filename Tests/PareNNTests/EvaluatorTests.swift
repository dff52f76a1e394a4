import Foundation
import Testing
import PareTensor
import PareNN

@Suite struct EvaluatorTests {
    /// Rows labelled by the model's own predictions, so its accuracy is exactly 1.
    func selfLabelled(_ model: Model, rows: Int, seed: UInt64) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let x = Tensor(shape: [rows, model.inputWidth], data: (0..<(rows * model.inputWidth)).map { _ in rng.nextFloat() })
        let labels = argmaxRows(model.forward(x))
        return Dataset(name: "self", features: x, labels: labels, classCount: model.classCount)
    }

    @Test func modelAgainstItself() throws {
        let model = TrainableMLP(dims: [64, 256, 128, 10], activation: .relu, seed: 1).model()
        let test = selfLabelled(model, rows: 20, seed: 2)
        let m = try Evaluator.metrics(model: model, base: model, test: test, sizeBytes: 1000, baseSizeBytes: 4000, options: .noTiming)
        #expect(m["accuracy"] == 1 && m["agreement"] == 1 && m["kl_to_base"] == 0)
        #expect(m["params_total"] == 50_826 && m["params_nonzero"] == 50_826)   // 50 432 weights + 394 biases
        #expect(m["flops"] == 101_258)                                          // 2·50 432 + 394 bias adds
        #expect(m["flops_effective"] == 101_258)
        #expect(m["size_bytes"] == 1000 && m["base_size_bytes"] == 4000 && m["compression_ratio"] == 4)
        #expect(m["weight_rel_error"] == 0)
        let expectedKeys = Set(Evaluator.metricNames).subtracting(["latency_ms_p50", "latency_ms_p95", "throughput_sps"])
        #expect(Set(m.keys) == expectedKeys)
    }

    @Test func prunedModelCountsAndErrors() throws {
        let base = TrainableMLP(dims: [4, 6, 3], activation: .relu, seed: 5)
        var pruned = base
        var removed = 0.0
        for j in 0..<12 { removed += Double(pruned.weights[0].data[j] * pruned.weights[0].data[j]); pruned.weights[0].data[j] = 0 }
        pruned.biases[1][0] = 0
        let total = base.weights.reduce(0.0) { $0 + $1.data.reduce(0.0) { $0 + Double($1) * Double($1) } }
        let test = selfLabelled(base.model(), rows: 10, seed: 1)
        let m = try Evaluator.metrics(model: pruned.model(), base: base.model(), test: test, sizeBytes: 10, baseSizeBytes: 10, options: .noTiming)
        #expect(m["params_total"] == Double(24 + 18 + 6 + 3))
        #expect(m["params_nonzero"] == Double(12 + 18 + 6 + 2))
        #expect(m["flops"] == Double(2 * 42 + 9))
        #expect(m["flops_effective"] == Double(2 * 30 + 9))
        #expect(abs(m["weight_rel_error"]! - (removed / total).squareRoot()) < 1e-7)
        #expect(m["kl_to_base"]! >= 0)

        // Shapes that differ (a structurally pruned hidden layer): no weight_rel_error.
        let shrunk = TrainableMLP(dims: [4, 5, 3], activation: .relu, seed: 5).model()
        let s = try Evaluator.metrics(model: shrunk, base: base.model(), test: test, sizeBytes: 8, baseSizeBytes: 10, options: .noTiming)
        #expect(s["weight_rel_error"] == nil && s["params_total"] == Double(20 + 15 + 5 + 3))
    }

    @Test func klAndAgreementByHand() throws {
        // Base logits = x, model logits = 2x on two classes; rows [1, 0] and [0, 1].
        let base = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(Tensor(shape: [2, 2], data: [1, 0, 0, 1])), bias: nil)], activation: .relu)
        let model = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(Tensor(shape: [2, 2], data: [2, 0, 0, -1])), bias: nil)], activation: .relu)
        let test = Dataset(name: "t", features: Tensor(shape: [2, 2], data: [1, 0, 0, 1]), labels: [0, 1], classCount: 2)
        let m = try Evaluator.metrics(model: model, base: base, test: test, sizeBytes: 16, baseSizeBytes: 16, options: .noTiming)
        func kl(_ b: [Double], _ q: [Double]) -> Double {
            let pb = b.map { exp($0) / b.map(exp).reduce(0, +) }, pq = q.map { exp($0) / q.map(exp).reduce(0, +) }
            return zip(pb, pq).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) }
        }
        let expected = (kl([1, 0], [2, 0]) + kl([0, 1], [0, -1])) / 2
        #expect(abs(m["kl_to_base"]! - expected) < 1e-9)
        #expect(m["agreement"] == 0.5 && m["accuracy"] == 0.5)
        #expect(Evaluator.predictions(model, test, batchSize: 1) == [0, 0])
    }

    @Test func timingIsMeasuredWhenAsked() throws {
        let model = TrainableMLP(dims: [4, 8, 3], activation: .relu, seed: 5).model()
        let test = selfLabelled(model, rows: 5, seed: 3)
        let options = EvaluationOptions(minSeconds: 0.01, latencyMinRepetitions: 5, throughputBatch: 16, throughputMinRepetitions: 3)
        let m = try Evaluator.metrics(model: model, base: model, test: test, sizeBytes: 1, baseSizeBytes: 1, options: options)
        #expect(Set(m.keys) == Set(Evaluator.metricNames))
        #expect(m["latency_ms_p50"]! > 0 && m["latency_ms_p95"]! >= m["latency_ms_p50"]! && m["throughput_sps"]! > 0)
    }

    @Test func mismatchedDataIsAnError() {
        let model = TrainableMLP(dims: [4, 3], activation: .relu, seed: 5).model()
        let wide = Dataset(name: "wide", features: Tensor(zeros: [2, 5]), labels: [0, 1], classCount: 2)
        #expect(throws: EvaluationError.self) {
            try Evaluator.metrics(model: model, base: model, test: wide, sizeBytes: 1, baseSizeBytes: 1, options: .noTiming)
        }
    }

    @Test func percentileIsNearestRank() {
        let values = (1...100).map(Double.init).shuffled()
        #expect(Evaluator.percentile(values, 0.5) == 50 && Evaluator.percentile(values, 0.95) == 95)
        #expect(Evaluator.percentile([3], 0.95) == 3)
    }
}
