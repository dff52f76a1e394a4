import PareNN
import PareTensor

/// `prune-magnitude`: unstructured magnitude pruning.
/// - `amount=a` (default 0.5): zero the round(a·n) smallest |w| of each selected layer, as
///   `torch.nn.utils.prune.l1_unstructured`; with `scope=global`, one ranking across all selected
///   layers, as `global_unstructured` with L1Unstructured. Ties: lower flat index pruned first
///   (layer order, then row-major, for global).
/// - `threshold=t` (t ≥ 0): zero every |w| < t instead (the same cut in every layer).
/// - `layers=fc1,fc2`: which layers (default all).
/// - `schedule=oneshot|agp`, `steps`, `finetune_epochs`, `lr`, `batch_size`: gradual pruning with
///   fine-tuning on `--train` (see `PruningSchedule`); agp needs `amount`.
public struct MagnitudePruning: CompressionMethod, MaskPruner {
    public static let name = "prune-magnitude"
    public static let summary = "Zero the smallest-magnitude weights: amount= per layer or scope=global, or threshold=."

    public enum Target: Sendable, Equatable {
        case amount(Double)
        case threshold(Double)
    }
    public enum Scope: String, Sendable, CaseIterable { case layer, global }

    public var target: Target
    public var scope: Scope
    public var layers: LayerSelection
    public var schedule: PruningSchedule

    public init(target: Target = .amount(0.5), scope: Scope = .layer, layers: LayerSelection = .init(names: nil),
                schedule: PruningSchedule = .oneShot) {
        self.target = target
        self.scope = scope
        self.layers = layers
        self.schedule = schedule
    }

    public init(settings: Settings) throws {
        var s = settings
        if s.has("amount") && s.has("threshold") {
            throw ConfigError("\(Self.name) takes either amount= (fraction zeroed) or threshold= (zero every |w| below it), not both.")
        }
        if s.has("threshold") {
            let t = try s.double("threshold", valid: ("at least 0 (weights with |w| below it are zeroed)", { $0 >= 0 }))!
            target = .threshold(t)
        } else {
            target = .amount(try Pruning.amount(&s)!)
        }
        scope = Scope(rawValue: try s.string("scope", default: "layer", oneOf: Scope.allCases.map(\.rawValue))!)!
        layers = LayerSelection(settings: &s)
        schedule = try PruningSchedule(settings: &s)
        if case .threshold = target, schedule.kind == .agp {
            throw ConfigError("\(Self.name): schedule=agp needs amount= (the final sparsity), not threshold=.")
        }
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        var c = schedule.config
        c["scope"] = .string(scope.rawValue)
        c["layers"] = .string(layers.recorded)
        switch target {
        case .amount(let a): c["amount"] = .double(a)
        case .threshold(let t): c["threshold"] = .double(t)
        }
        return c
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let selected = try layers.indices(in: model, method: Self.name)
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: true)
        switch target {
        case .amount(let a):
            return try GradualPruning.run(model, schedule: schedule, target: a, selected: selected,
                                          context: context, method: Self.name) { current, sparsity in
                try self.masks(for: current, sparsity: sparsity, context: context)
            }
        case .threshold(let t):
            // One-shot only: the cut is fixed, so fine-tuning (if any) follows the one mask.
            return try GradualPruning.run(model, schedule: schedule, target: 0, selected: selected,
                                          context: context, method: Self.name) { current, _ in
                current.layers.indices.map { i in
                    guard selected.contains(i) else { return nil }
                    let w = current.layers[i].weight.decoded()
                    return Tensor(shape: w.shape, data: w.data.map { abs($0) < Float(t) ? 0 : 1 })
                }
            }
        }
    }

    /// Masks zeroing the `sparsity` fraction of smallest |w|, per layer or across the selected
    /// layers (`scope`). Weights already zero rank lowest, so masks from a higher target
    /// contain those of a lower one (AGP never regrows a pruned weight).
    public func masks(for model: Model, sparsity: Double, context: CompressionContext) throws -> [Tensor?] {
        let selected = try layers.indices(in: model, method: Self.name)
        var masks = [Tensor?](repeating: nil, count: model.layers.count)
        switch scope {
        case .layer:
            for i in selected {
                let w = model.layers[i].weight.decoded()
                let k = Pruning.prunedCount(amount: sparsity, of: w.count)
                masks[i] = Pruning.maskTensor(Pruning.keepMask(scores: Pruning.magnitudes(w), pruning: k), shape: w.shape)
            }
        case .global:
            let weights = selected.map { model.layers[$0].weight.decoded() }
            let scores = weights.flatMap(Pruning.magnitudes)
            let keep = Pruning.keepMask(scores: scores, pruning: Pruning.prunedCount(amount: sparsity, of: scores.count))
            var offset = 0
            for (i, w) in zip(selected, weights) {
                masks[i] = Pruning.maskTensor(Array(keep[offset..<offset + w.count]), shape: w.shape)
                offset += w.count
            }
        }
        return masks
    }
}
