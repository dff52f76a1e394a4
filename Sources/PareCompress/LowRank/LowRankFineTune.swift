import Foundation
import PareNN
import PareTensor

/// Fine-tunes a model some of whose layers are factored (W = U·V) by training the factors
/// themselves, so the recovered model keeps its rank. Each step runs the dense network with
/// W = U·V, takes ∂L/∂W from the shared backward pass, and applies the chain rule of the
/// product: ∂L/∂U = ∂L/∂W·Vᵀ and ∂L/∂V = Uᵀ·∂L/∂W (exact, since W is linear in each factor).
enum LowRankFineTune {
    struct Settings: Sendable, Equatable {
        var epochs: Int
        var learningRate: Double
        var batchSize: Int
    }

    static func run(_ model: Model, on data: Dataset, settings: Settings, seed: UInt64,
                    progress: @Sendable (Double, String) -> Void) -> (model: Model, curves: [(key: String, step: Int, value: Double)]) {
        let count = model.layers.count
        var factors: [LowRankWeight?] = model.layers.map { $0.weight as? LowRankWeight }
        var dense: [Tensor] = model.layers.map { $0.weight as? LowRankWeight == nil ? $0.weight.decoded() : Tensor(zeros: [0]) }
        var biases: [[Float]] = model.layers.map { $0.bias ?? [Float](repeating: 0, count: $0.outFeatures) }
        let adam = Adam(learningRate: settings.learningRate)
        var leftStates = factors.map { AdamState(count: $0?.left.count ?? 0) }
        var rightStates = factors.map { AdamState(count: $0?.right.count ?? 0) }
        var denseStates = dense.map { AdamState(count: $0.count) }
        var biasStates = biases.map { AdamState(count: $0.count) }
        var rng = SeededRandom(seed: seed, stream: 7)
        var curves: [(key: String, step: Int, value: Double)] = []
        let stepsPerEpoch = (data.rowCount + settings.batchSize - 1) / settings.batchSize
        let names = model.layers.map(\.name)

        precondition(settings.epochs > 0 && settings.batchSize > 0, "fine-tuning needs epochs > 0 and a positive batch size")
        for epoch in 1...settings.epochs {
            let order = rng.permutation(data.rowCount)
            var lossSum = 0.0, correct = 0
            for (stepIndex, start) in stride(from: 0, to: data.rowCount, by: settings.batchSize).enumerated() {
                let batch = Array(order[start..<min(start + settings.batchSize, data.rowCount)])
                let labels = batch.map { data.labels[$0] }
                let weights = (0..<count).map { i in factors[i].map(product) ?? dense[i] }
                let net = TrainableMLP(weights: weights, biases: biases, activation: model.activation, names: names)
                let g = Trainer.gradients(net, x: data.rows(batch), labels: labels, batch: batch)
                for i in 0..<count {
                    if var factor = factors[i] {
                        let gradLeft = matmul(g.weights[i], factor.right, transposeB: true)     // [out,in]·[in,k]
                        let gradRight = matmul(factor.left, g.weights[i], transposeA: true)     // [k,out]·[out,in]
                        adam.step(&factor.left.data, gradient: gradLeft.data, state: &leftStates[i])
                        adam.step(&factor.right.data, gradient: gradRight.data, state: &rightStates[i])
                        factors[i] = factor
                    } else {
                        adam.step(&dense[i].data, gradient: g.weights[i].data, state: &denseStates[i])
                    }
                    adam.step(&biases[i], gradient: g.biases[i], state: &biasStates[i])
                }
                lossSum += g.loss * Double(batch.count)
                for (p, y) in zip(argmaxRows(g.logits), labels) where p == y { correct += 1 }
                progress(Double((epoch - 1) * stepsPerEpoch + stepIndex + 1) / Double(settings.epochs * stepsPerEpoch),
                         "fine-tune epoch \(epoch)/\(settings.epochs)")
            }
            curves.append((key: "finetune_loss", step: epoch, value: lossSum / Double(data.rowCount)))
            curves.append((key: "finetune_accuracy", step: epoch, value: Double(correct) / Double(data.rowCount)))
        }
        var tuned = model
        for i in 0..<count {
            tuned.layers[i].weight = factors[i].map { $0 as any LinearWeight } ?? DenseWeight(dense[i])
            if model.layers[i].bias != nil { tuned.layers[i].bias = biases[i] }
        }
        return (tuned, curves)
    }

    /// W = U·V as a dense [out, in] matrix.
    static func product(_ weight: LowRankWeight) -> Tensor {
        matmul(weight.left, weight.right)
    }
}
