import Foundation
import Testing
import PareTensor
import PareNN

@Suite struct TrainerTests {
    let data = toyDataset(rows: 240)

    @Test func learnsASeparableToyProblem() {
        var net = TrainableMLP(dims: [4, 16, 3], activation: .relu, seed: 1)
        var epochsSeen: [Int] = []
        var hooks = TrainingHooks()
        hooks.onEpoch = { epoch, _ in epochsSeen.append(epoch) }
        var lastFraction = 0.0
        let history = Trainer.train(&net, on: data, config: TrainingConfig(epochs: 20, batchSize: 32, learningRate: 1e-2, seed: 3),
                                    hooks: hooks, progress: { f, _ in lastFraction = f })
        #expect(history.count == 20 && epochsSeen == Array(1...20))
        #expect(history.last!.trainLoss < history.first!.trainLoss)
        #expect(history.last!.trainAccuracy >= 0.99)
        #expect(Evaluator.accuracy(net.model(), toyDataset(rows: 90, seed: 99)) >= 0.97)
        #expect(lastFraction == 1)
    }

    @Test func sameSeedSameResult() {
        let config = TrainingConfig(epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 8)
        var a = TrainableMLP(dims: [4, 8, 3], activation: .gelu, seed: 1), b = a
        Trainer.train(&a, on: data, config: config)
        Trainer.train(&b, on: data, config: config)
        #expect(a.weights == b.weights && a.biases == b.biases)
        var c = TrainableMLP(dims: [4, 8, 3], activation: .gelu, seed: 1)
        Trainer.train(&c, on: data, config: TrainingConfig(epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 9))
        #expect(c.weights != a.weights)
    }

    @Test func maskedWeightsStayExactlyZero() {
        let net0 = TrainableMLP(dims: [4, 16, 3], activation: .relu, seed: 4)
        var rng = SeededRandom(seed: 10)
        let masks: [Tensor?] = [Tensor(shape: [16, 4], data: (0..<64).map { _ in rng.nextFloat() < 0.5 ? 0 : 1 }), nil]
        var net = net0
        Trainer.train(&net, on: data, config: TrainingConfig(epochs: 5, batchSize: 32, learningRate: 1e-2, seed: 3),
                      hooks: TrainingHooks(masks: masks))
        let mask = masks[0]!.data
        var kept = 0, moved = 0
        for i in mask.indices {
            if mask[i] == 0 { #expect(net.weights[0].data[i].bitPattern == 0) }   // +0 exactly
            else {
                kept += 1
                if net.weights[0].data[i] != net0.weights[0].data[i] { moved += 1 }
            }
        }
        #expect(moved * 10 >= kept * 8)   // the unmasked ones train (a dead ReLU unit may not)
        #expect(net.weights[1] != net0.weights[1])
    }

    @Test func customLossReplacesCrossEntropy() {
        // A loss hook that computes the same cross-entropy from row indices trains identically.
        let config = TrainingConfig(epochs: 1, batchSize: 32, learningRate: 1e-2, seed: 2)
        var a = TrainableMLP(dims: [4, 8, 3], activation: .relu, seed: 1), b = a
        Trainer.train(&a, on: data, config: config)
        var batchesSeen = 0
        var hooks = TrainingHooks()
        hooks.loss = { logits, batch in
            batchesSeen += 1
            return crossEntropy(logits: logits, labels: batch.map { data.labels[$0] })
        }
        Trainer.train(&b, on: data, config: config, hooks: hooks)
        #expect(a.weights == b.weights && batchesSeen == 8)
    }
}
