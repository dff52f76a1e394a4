import PareNN
import PareTensor

/// `prune-wanda`: Wanda (Sun et al., 2023), pruning by weights and activations. Each weight
/// scores |W_ij| · ‖X_j‖₂, with ‖X_j‖₂ the L2 norm of input feature j over the calibration set
/// (`--calib`); within every output row the floor(amount · in) lowest scores are zeroed
/// (the reference code's `int(in · sparsity)`; ties: lower index first). No weight update.
/// Layers are pruned in order, each seeing the activations of the already pruned layers
/// before it, as the reference implementation feeds each block the pruned block's outputs.
/// `schedule=agp steps finetune_epochs lr batch_size` prune gradually with fine-tuning on `--train`
/// (see `PruningSchedule`), recomputing the activation norms on the fine-tuned model each step.
public struct WandaPruning: CompressionMethod, MaskPruner {
    public static let name = "prune-wanda"
    public static let summary = "Wanda: zero the lowest |w|·‖x‖ per output row (needs --calib); no weight update."

    public var amount: Double
    public var layers: LayerSelection
    public var schedule: PruningSchedule

    public init(amount: Double = 0.5, layers: LayerSelection = .init(names: nil), schedule: PruningSchedule = .oneShot) {
        self.amount = amount
        self.layers = layers
        self.schedule = schedule
    }

    public init(settings: Settings) throws {
        var s = settings
        amount = try Pruning.amount(&s)!
        layers = LayerSelection(settings: &s)
        schedule = try PruningSchedule(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        schedule.config.merging(["amount": .double(amount), "layers": .string(layers.recorded)]) { _, b in b }
    }

    /// The Wanda keep mask of one weight [out, in] given its input activations X [rows, in].
    public static func mask(weight: Tensor, inputs x: Tensor, amount: Double) -> Tensor {
        precondition(x.columns == weight.columns, "inputs of width \(x.columns) for a weight with \(weight.columns) inputs")
        var norms = ColumnNorms(width: x.columns)
        norms.add(x)
        return mask(weight: weight, inputNorms: norms.norms, amount: amount)
    }

    /// The Wanda keep mask of one weight [out, in] given ‖X_j‖₂ of each input feature.
    public static func mask(weight: Tensor, inputNorms norms: [Double], amount: Double) -> Tensor {
        precondition(norms.count == weight.columns, "\(norms.count) input norms for a weight with \(weight.columns) inputs")
        let out = weight.rows, width = weight.columns
        let perRow = Int(amount * Double(width))     // floor, as the reference's int()
        var keep: [Bool] = []
        keep.reserveCapacity(weight.count)
        for r in 0..<out {
            let scores = (0..<width).map { j in Double(abs(weight.data[r * width + j])) * norms[j] }
            keep += Pruning.keepMask(scores: scores, pruning: perRow)
        }
        return Pruning.maskTensor(keep, shape: weight.shape)
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let selected = try layers.indices(in: model, method: Self.name)
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: true)
        _ = try Calibration.require(context, for: Self.name, model: model)
        return try GradualPruning.run(model, schedule: schedule, target: amount, selected: selected,
                                      context: context, method: Self.name) { current, sparsity in
            try self.masks(for: current, sparsity: sparsity, context: context)
        }
    }

    public func masks(for model: Model, sparsity: Double, context: CompressionContext) throws -> [Tensor?] {
        let calibration = try Calibration.require(context, for: Self.name, model: model)
        let selected = try layers.indices(in: model, method: Self.name)
        var current = model
        var masks = [Tensor?](repeating: nil, count: model.layers.count)
        for i in current.layers.indices where selected.contains(i) {
            // ‖X_j‖ of this layer's inputs as the already pruned layers before it compute them.
            var norms = ColumnNorms(width: current.layers[i].inFeatures)
            Calibration.observe(layer: i, current, on: calibration.features) { norms.add($0) }
            let w = current.layers[i].weight.decoded()
            let mask = Self.mask(weight: w, inputNorms: norms.norms, amount: sparsity)
            masks[i] = mask
            current.layers[i] = LinearLayer(name: current.layers[i].name,
                                            weight: DenseWeight(Pruning.applying(mask, to: w)),
                                            bias: current.layers[i].bias)
            context.progress(Double(i + 1) / Double(current.layers.count), "wanda \(current.layers[i].name)")
        }
        return masks
    }
}

/// ‖X_j‖₂ of each input feature, summed in Double over input batches as a forward pass
/// produces them, so the rows never need to be kept.
struct ColumnNorms {
    private var sumSquares: [Double]

    init(width: Int) { sumSquares = [Double](repeating: 0, count: width) }

    mutating func add(_ x: Tensor) {
        let width = sumSquares.count
        precondition(x.columns == width, "inputs of width \(x.columns) for \(width) columns")
        for r in 0..<x.rows {
            for j in 0..<width {
                let v = Double(x.data[r * width + j])
                sumSquares[j] += v * v
            }
        }
    }

    var norms: [Double] { sumSquares.map { $0.squareRoot() } }
}
