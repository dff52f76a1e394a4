import Foundation
import PareTensor

/// Minibatch training of a `TrainableMLP` with Adam.
public enum Trainer {
    /// Trains `net` in place for `config.epochs` epochs and returns each epoch's statistics.
    /// Each epoch visits every row once in an order drawn from `SeededRandom(seed: config.seed,
    /// stream: 1)`; the last minibatch may be smaller. `progress` gets (fraction, "epoch e/E loss …")
    /// after every step (the CLI passes its progress bar's `callback`, which throttles drawing itself).
    @discardableResult
    public static func train(_ net: inout TrainableMLP, on data: Dataset, config: TrainingConfig,
                             hooks: TrainingHooks = .init(),
                             progress: @escaping (Double, String) -> Void = { _, _ in }) -> [EpochStats] {
        precondition(data.featureCount == net.inputWidth,
                     "dataset '\(data.name)' has \(data.featureCount) features, the network takes \(net.inputWidth)")
        precondition(data.classCount <= net.outputWidth || hooks.loss != nil,
                     "dataset '\(data.name)' has \(data.classCount) classes, the network outputs \(net.outputWidth)")
        precondition(config.epochs >= 0 && config.batchSize > 0, "epochs must be ≥ 0 and batch size > 0")
        let masks: [[Float]?] = (0..<net.layerCount).map { i in
            guard let masks = hooks.masks else { return nil }
            precondition(masks.count == net.layerCount, "\(masks.count) masks for \(net.layerCount) layers")
            guard let mask = masks[i] else { return nil }
            precondition(mask.shape == net.weights[i].shape, "mask \(mask.shape) for layer \(i)'s weight \(net.weights[i].shape)")
            return mask.data
        }
        for i in 0..<net.layerCount {
            guard let mask = masks[i] else { continue }
            for j in mask.indices where mask[j] == 0 { net.weights[i].data[j] = 0 }   // +0, not −0
        }

        let adam = config.optimizer
        var weightStates = net.weights.map { AdamState(count: $0.count) }
        var biasStates = net.biases.map { AdamState(count: $0.count) }
        var rng = SeededRandom(seed: config.seed, stream: 1)
        let rowCount = data.rowCount
        let stepsPerEpoch = (rowCount + config.batchSize - 1) / config.batchSize
        let totalSteps = max(1, stepsPerEpoch * config.epochs)
        var globalStep = 0
        var history: [EpochStats] = []

        guard config.epochs > 0 else { return [] }
        for epoch in 1...config.epochs {
            let started = DispatchTime.now().uptimeNanoseconds
            let order = rng.permutation(rowCount)
            var lossSum = 0.0, correct = 0
            for start in stride(from: 0, to: rowCount, by: config.batchSize) {
                let batch = Array(order[start..<min(start + config.batchSize, rowCount)])
                let labels = batch.map { data.labels[$0] }
                let g = gradients(net, x: data.rows(batch), labels: labels, batch: batch, hooks: hooks)
                for i in 0..<net.layerCount {
                    adam.step(&net.weights[i].data, gradient: g.weights[i].data, state: &weightStates[i], mask: masks[i])
                    adam.step(&net.biases[i], gradient: g.biases[i], state: &biasStates[i])
                }
                lossSum += g.loss * Double(batch.count)
                for (p, y) in zip(argmaxRows(g.logits), labels) where p == y { correct += 1 }
                globalStep += 1
                hooks.onStep?(globalStep)
                progress(Double(globalStep) / Double(totalSteps),
                         "epoch \(epoch)/\(config.epochs) loss \(String(format: "%.4f", lossSum / Double(start + batch.count)))")
            }
            let stats = EpochStats(epoch: epoch, trainLoss: lossSum / Double(rowCount),
                                   trainAccuracy: Double(correct) / Double(rowCount),
                                   seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            history.append(stats)
            hooks.onEpoch?(epoch, stats)
        }
        return history
    }
}
