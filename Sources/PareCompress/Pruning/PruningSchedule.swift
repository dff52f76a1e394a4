import PareNN
import PareTensor

/// How a mask pruner reaches its target: `schedule=oneshot|agp`, `steps=k` (agp only, default 5),
/// `finetune_epochs=e` (default 0 for oneshot, 2 for agp), `lr` (default 1e-3), `batch_size`
/// (default 64). Fine-tuning needs `--train`.
///
/// A decoder LM fine-tunes with `finetune_steps=k` instead: k Adam steps of `batch_size` windows
/// (default 1) at `lr` (default 1e-4) on `--train text:` after each pruning step — finetune's
/// loop. Steps, not epochs, because an LM's training text is counted in steps (finetune's
/// `steps`): one epoch of a book is thousands of ~10 s steps, and the MLP's defaults (lr 1e-3,
/// 64 per batch) are not an LM's.
public struct PruningSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case oneshot, agp }

    public var kind: Kind
    /// Pruning steps (1 for oneshot).
    public var steps: Int
    /// Epochs of fine-tuning after each pruning step, masks held fixed.
    public var finetuneEpochs: Int
    public var learningRate: Double
    public var batchSize: Int
    /// Decoder LMs: Adam steps on the training text after each pruning step (nil: MLP epochs).
    public var finetuneSteps: Int?

    public static let oneShot = PruningSchedule(kind: .oneshot, steps: 1, finetuneEpochs: 0)

    public init(kind: Kind, steps: Int, finetuneEpochs: Int, learningRate: Double = 1e-3, batchSize: Int = 64) {
        precondition(steps >= 1 && finetuneEpochs >= 0 && learningRate > 0 && batchSize > 0)
        precondition(kind == .agp || steps == 1, "oneshot prunes in one step")
        self.kind = kind
        self.steps = steps
        self.finetuneEpochs = finetuneEpochs
        self.learningRate = learningRate
        self.batchSize = batchSize
    }

    init(settings: inout Settings) throws {
        let method = settings.method
        kind = Kind(rawValue: try settings.string("schedule", default: "oneshot", oneOf: Kind.allCases.map(\.rawValue))!)!
        let agp = kind == .agp
        steps = try settings.int("steps", default: agp ? 5 : 1, valid: ("a whole number ≥ 1 (pruning steps)", { $0 >= 1 }))!
        if !agp && settings.has("steps") {
            throw ConfigError("\(method): steps only applies to schedule=agp (schedule is oneshot).")
        }
        if settings.has("finetune_steps") {
            if settings.has("finetune_epochs") {
                throw ConfigError("\(method): give finetune_steps (a decoder LM's Adam steps on --train text) or finetune_epochs (passes over an MLP's --train rows), not both.")
            }
            finetuneSteps = try settings.int("finetune_steps", valid: ("a whole number ≥ 1 (Adam steps after each pruning step)", { $0 >= 1 }))!
            finetuneEpochs = 0
            learningRate = try TrainingData.learningRate(&settings, default: 1e-4)
            batchSize = try settings.int("batch_size", default: 1, valid: ("a positive whole number (windows per step)", { $0 > 0 }))!
            return
        }
        finetuneEpochs = try TrainingData.epochs(&settings, key: "finetune_epochs", default: agp ? 2 : 0)
        learningRate = try TrainingData.learningRate(&settings, default: 1e-3)
        batchSize = try TrainingData.batchSize(&settings)
    }

    /// Prune once, no fine-tuning: the plain method.
    public var isPlainOneShot: Bool { kind == .oneshot && finetuneEpochs == 0 && finetuneSteps == nil }

    /// The decoder fine-tuning between pruning steps (finetune_steps), if any.
    func decoderTrainer(method: String) -> DecoderTrainer? {
        finetuneSteps.map { DecoderTrainer(method: method, steps: $0, learningRate: learningRate, batch: batchSize) }
    }

    /// On a decoder LM: fine-tuning is finetune_steps on --train text, checked before anything
    /// is recorded; on an MLP finetune_steps is refused.
    func check(_ model: Model, context: CompressionContext, method: String) throws {
        if model.transformer != nil {
            try TransformerSupport.refuseTraining(method, epochs: finetuneEpochs, steps: true)
            if finetuneSteps != nil {
                _ = try DecoderTrainer.check(model, context, method: method,
                                             quantizedHint: "fine-tuning between pruning steps needs float weights, so prune before quantizing")
            }
        } else if finetuneSteps != nil {
            throw ConfigError("\(method): finetune_steps fine-tunes a decoder LM on --train text; an MLP fine-tunes with finetune_epochs=.")
        }
    }

    /// The target sparsity of each step: AGP's cubic from 0 to `target`, or just `target`.
    public func sparsities(target: Double) -> [Double] {
        kind == .agp ? AGPSchedule.sparsities(steps: steps, final: target) : [target]
    }

    var config: [String: ConfigValue] {
        if let finetuneSteps {
            return ["schedule": .string(kind.rawValue), "steps": .int(steps), "finetune_steps": .int(finetuneSteps),
                    "lr": .double(learningRate), "batch_size": .int(batchSize)]
        }
        return ["schedule": .string(kind.rawValue), "steps": .int(steps), "finetune_epochs": .int(finetuneEpochs),
         "lr": .double(learningRate), "batch_size": .int(batchSize)]
    }
}
