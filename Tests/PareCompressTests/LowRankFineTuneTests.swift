import Foundation
import PareNN
import PareTensor
import Testing
@testable import PareCompress

@Suite("Low-rank fine-tuning")
struct LowRankFineTuneTests {
    static func digits(_ file: String) throws -> Dataset {
        try Dataset.loadCSV(url: TeacherFixture.directory.appendingPathComponent(file))
    }

    /// ∂L/∂U = ∂L/∂W·Vᵀ: one step of the chain rule, checked against a finite difference of the loss.
    @Test func factorGradientMatchesFiniteDifference() throws {
        let u = Tensor(shape: [3, 2], data: [0.5, -0.2, 0.1, 0.4, -0.3, 0.2])
        let v = Tensor(shape: [2, 4], data: [0.3, -0.1, 0.2, 0.5, -0.4, 0.2, 0.1, -0.2])
        let x = Tensor(shape: [2, 4], data: [1, 0.5, -0.5, 0.25, -1, 0.2, 0.3, 0.1])
        let labels = [0, 2]
        func loss(_ u: Tensor) -> Double {
            let net = TrainableMLP(weights: [LowRankFineTune.product(LowRankWeight(left: u, right: v))],
                                   biases: [[0, 0, 0]], activation: .relu)
            return Trainer.gradients(net, x: x, labels: labels, batch: [0, 1]).loss
        }
        let net = TrainableMLP(weights: [LowRankFineTune.product(LowRankWeight(left: u, right: v))],
                               biases: [[0, 0, 0]], activation: .relu)
        let dW = Trainer.gradients(net, x: x, labels: labels, batch: [0, 1]).weights[0]
        let dU = matmul(dW, v, transposeB: true)
        for index in 0..<u.count {
            var plus = u, minus = u
            plus.data[index] += 1e-3
            minus.data[index] -= 1e-3
            let numeric = (loss(plus) - loss(minus)) / 2e-3
            #expect(abs(numeric - Double(dU.data[index])) < 1e-3, "dU[\(index)]")
        }
    }

    /// A hard cut (ratio 0.1 of fc1 and fc2) loses accuracy; two epochs of training the factors win much of it
    /// back while every factored layer keeps its rank.
    @Test func fineTuningRecoversAccuracyAndKeepsRank() throws {
        let teacher = try TeacherFixture.model()
        let train = try Self.digits("digits_train.csv"), test = try Self.digits("digits_test.csv")
        let cut = try LowRankSVD(settings: Settings(method: "lowrank-svd", values: ["ratio": "0.1", "layers": "fc1,fc2"]))
        let tuned = try LowRankSVD(settings: Settings(method: "lowrank-svd",
                                                      values: ["ratio": "0.1", "layers": "fc1,fc2", "finetune_epochs": "2"]))
        let context = CompressionContext(training: train, seed: 1)
        let before = try cut.compress(teacher, context: context)
        let after = try tuned.compress(teacher, context: context)
        let accuracy = { (model: Model) in Evaluator.accuracy(model, test) }
        let (cutAccuracy, tunedAccuracy) = (accuracy(before.model), accuracy(after.model))
        #expect(tunedAccuracy > cutAccuracy + 0.05, "cut \(cutAccuracy) → tuned \(tunedAccuracy)")
        for (a, b) in zip(before.model.layers, after.model.layers) {
            #expect((a.weight as? LowRankWeight)?.rank == (b.weight as? LowRankWeight)?.rank)
        }
        #expect(after.curves.filter { $0.key == "finetune_loss" }.count == 2)
    }

    @Test func fineTuningNeedsTrainingData() throws {
        let method = try LowRankSVD(settings: Settings(method: "lowrank-svd", values: ["finetune_epochs": "1"]))
        #expect(throws: ConfigError.self) { try method.compress(try TeacherFixture.model(), context: CompressionContext()) }
        #expect(throws: ConfigError.self) {
            try LowRankSVD(settings: Settings(method: "lowrank-svd", values: ["finetune_epochs": "-1"]))
        }
    }
}
