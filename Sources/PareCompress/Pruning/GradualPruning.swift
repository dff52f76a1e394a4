import PareNN
import PareTensor

/// Pruning along a `PruningSchedule`: at each step compute masks at that step's sparsity on the
/// current (fine-tuned) weights, take their union with every earlier mask (a pruned weight never
/// regrows), then fine-tune with the masks held fixed (`TrainingHooks.masks`: pruned weights stay
/// exactly zero). Curves: `finetune_loss` and `finetune_accuracy` (training minibatch statistics)
/// per epoch, epochs counted across all steps; `schedule_sparsity` per pruning step.
/// A decoder LM fine-tunes `finetune_steps` Adam steps on `--train text:` instead (finetune's
/// loop, `DecoderTrainer`; pruned zeros are masked, and re-applied after), its curve `train_loss`
/// per Adam step counted across all pruning steps, the windows walking on through the text.
enum GradualPruning {
    /// `masks(model, sparsity)` computes one step's masks (nil = layer not pruned).
    static func run(_ model: Model, schedule: PruningSchedule, target: Double, selected: [Int],
                    context: CompressionContext, method: String,
                    masks masksAt: (Model, Double) throws -> [Tensor?]) throws -> CompressionResult {
        let training = schedule.finetuneEpochs > 0
            ? try TrainingData.require(context, for: method, purpose: "fine-tuning", model: model) : nil
        let sparsities = schedule.sparsities(target: target)
        var current = model
        var masks = [Tensor?](repeating: nil, count: model.layers.count)
        var curves: [(key: String, step: Int, value: Double)] = []
        var epochsDone = 0
        let decoderTrainer = schedule.decoderTrainer(method: method)
        for (index, sparsity) in sparsities.enumerated() {
            let step = index + 1
            masks = union(masks, try masksAt(current, sparsity))
            current = Pruning.applying(masks, to: current)
            if schedule.kind == .agp { curves.append(("schedule_sparsity", step, sparsity)) }
            if let trainer = decoderTrainer {
                let (decoder, text) = try DecoderTrainer.check(current, context, method: method, quantizedHint: "prune before quantizing")
                let first = index * trainer.steps + 1
                let outcome = try trainer.train(decoder, text: text, firstStep: first, progress: { fraction, label in
                    context.progress((Double(index) + fraction) / Double(sparsities.count), "step \(step)/\(sparsities.count) fine-tune \(label)")
                })
                curves += FineTune.lossCurve(outcome.losses, firstStep: first)
                current = Pruning.applying(masks, to: Model(transformer: .decoder(outcome.decoder)))
                continue
            }
            guard let training else { continue }
            var net = TrainableMLP(current)
            let offset = epochsDone
            let config = TrainingConfig(epochs: schedule.finetuneEpochs, batchSize: schedule.batchSize,
                                        learningRate: schedule.learningRate, seed: context.seed &+ UInt64(step))
            let history = Trainer.train(&net, on: training, config: config, hooks: TrainingHooks(masks: masks)) { fraction, label in
                context.progress((Double(index) + fraction) / Double(sparsities.count), "step \(step)/\(sparsities.count) \(label)")
            }
            for stats in history {
                curves.append(("finetune_loss", offset + stats.epoch, stats.trainLoss))
                curves.append(("finetune_accuracy", offset + stats.epoch, stats.trainAccuracy))
            }
            epochsDone += history.count
            current = Pruning.applying(masks, to: net.model())
        }
        let report = Pruning.report(current, layers: selected)
        var notes = report.notes
        if let steps = schedule.finetuneSteps {
            let targets = sparsities.map { Pruning.formatPercent(100 * $0) }.joined(separator: ", ")
            notes.insert("\(schedule.kind.rawValue): \(sparsities.count) pruning step(s) to \(targets), "
                         + "\(steps) fine-tune step(s) of \(schedule.batchSize) window(s) after each (Adam, lr \(schedule.learningRate))", at: 0)
        } else if !schedule.isPlainOneShot {
            let targets = sparsities.map { Pruning.formatPercent(100 * $0) }.joined(separator: ", ")
            notes.insert("\(schedule.kind.rawValue): \(sparsities.count) pruning step(s) to \(targets), "
                         + "\(schedule.finetuneEpochs) fine-tune epoch(s) after each (lr \(schedule.learningRate), batch \(schedule.batchSize))", at: 0)
        }
        return CompressionResult(model: current, notes: notes, extraMetrics: report.metrics, curves: curves)
    }

    /// Per layer, a weight is kept only if every mask keeps it (nil = no mask yet).
    static func union(_ a: [Tensor?], _ b: [Tensor?]) -> [Tensor?] {
        precondition(a.count == b.count)
        return zip(a, b).map { x, y in
            guard let x else { return y }
            guard let y else { return x }
            return Tensor(shape: x.shape, data: zip(x.data, y.data).map { $0 != 0 && $1 != 0 ? 1 : 0 })
        }
    }
}
