import PareNN
import PareTensor

/// How a mask pruner reaches its target: `schedule=oneshot|agp`, `steps=k` (agp only, default 5),
/// `finetune_epochs=e` (default 0 for oneshot, 2 for agp), `lr` (default 1e-3), `batch_size`
/// (default 64). Fine-tuning needs `--train`.
public struct PruningSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case oneshot, agp }

    public var kind: Kind
    /// Pruning steps (1 for oneshot).
    public var steps: Int
    /// Epochs of fine-tuning after each pruning step, masks held fixed.
    public var finetuneEpochs: Int
    public var learningRate: Double
    public var batchSize: Int

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
        finetuneEpochs = try TrainingData.epochs(&settings, key: "finetune_epochs", default: agp ? 2 : 0)
        learningRate = try TrainingData.learningRate(&settings, default: 1e-3)
        batchSize = try TrainingData.batchSize(&settings)
    }

    /// Prune once, no fine-tuning: the plain method.
    public var isPlainOneShot: Bool { kind == .oneshot && finetuneEpochs == 0 }

    /// The target sparsity of each step: AGP's cubic from 0 to `target`, or just `target`.
    public func sparsities(target: Double) -> [Double] {
        kind == .agp ? AGPSchedule.sparsities(steps: steps, final: target) : [target]
    }

    var config: [String: ConfigValue] {
        ["schedule": .string(kind.rawValue), "steps": .int(steps), "finetune_epochs": .int(finetuneEpochs),
         "lr": .double(learningRate), "batch_size": .int(batchSize)]
    }
}
