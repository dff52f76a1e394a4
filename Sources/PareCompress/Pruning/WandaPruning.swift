import PareNN
import PareTensor

/// `prune-wanda`: Wanda (Sun et al., 2023), pruning by weights and activations. Each weight
/// scores |W_ij| · ‖X_j‖₂, with ‖X_j‖₂ the L2 norm of input feature j over the calibration set
/// (`--calib`); within every output row the floor(amount · in) lowest scores are zeroed
/// (the reference code's `int(in · sparsity)`; ties: lower index first). No weight update.
/// Layers are pruned in order, each seeing the activations of the already pruned layers
/// before it, as the reference implementation feeds each block the pruned block's outputs.
/// `n=`,`m=` instead of `amount=` keep the n best scores of every m consecutive inputs of a row
/// (Wanda's N:M variant, e.g. 2:4). On a decoder LM it runs block by block (`BlockwiseCalibration`).
/// `schedule=agp steps finetune_epochs lr batch_size` prune gradually with fine-tuning on `--train`
/// (see `PruningSchedule`), recomputing the activation norms on the fine-tuned model each step.
public struct WandaPruning: CompressionMethod, MaskPruner {
    public static let name = "prune-wanda"
    public static let summary = "Wanda: zero the lowest |w|·‖x‖ per output row (needs --calib); no weight update."

    public var amount: Double
    /// N:M instead of a per-row fraction (then `amount` is n/m's complement, for the record).
    public var nm: (n: Int, m: Int)?
    public var layers: LayerSelection
    public var schedule: PruningSchedule

    public init(amount: Double = 0.5, layers: LayerSelection = .init(names: nil), schedule: PruningSchedule = .oneShot) {
        self.amount = amount
        self.layers = layers
        self.schedule = schedule
    }

    public init(settings: Settings) throws {
        var s = settings
        if s.has("n") || s.has("m") {
            if s.has("amount") {
                throw ConfigError("\(Self.name) takes either amount= (a fraction of each row) or n= and m= (N:M), not both.")
            }
            let n = try s.int("n", default: 2, valid: ("at least 1 (weights kept per group)", { $0 >= 1 }))!
            let m = try s.int("m", default: 4, valid: ("at least 1 (the group size)", { $0 >= 1 }))!
            try NMPruning.validate(n: n, m: m, method: Self.name)
            nm = (n, m)
            amount = 1 - Double(n) / Double(m)
        } else {
            amount = try Pruning.amount(&s)!
        }
        layers = LayerSelection(settings: &s)
        schedule = try PruningSchedule(settings: &s)
        try s.finish()
        if nm != nil && schedule != .oneShot {
            throw ConfigError("\(Self.name): N:M pruning is one-shot; leave schedule, steps and finetune_epochs out with n= and m=.")
        }
    }

    public var config: [String: ConfigValue] {
        var c = schedule.config.merging(["layers": .string(layers.recorded)]) { _, b in b }
        if let nm { c["n"] = .int(nm.n); c["m"] = .int(nm.m) } else { c["amount"] = .double(amount) }
        return c
    }

    /// The Wanda keep mask of one weight given ‖X_j‖₂: per row a fraction, or N:M.
    func mask(weight: Tensor, inputNorms norms: [Double], sparsity: Double) -> Tensor {
        guard let nm else { return Self.mask(weight: weight, inputNorms: norms, amount: sparsity) }
        let width = weight.columns
        let scores = weight.data.indices.map { Float(Double(abs(weight.data[$0])) * norms[$0 % width]) }
        return Pruning.maskTensor(Pruning.nmKeepMask(scores: scores, rows: weight.rows, columns: width, n: nm.n, m: nm.m),
                                  shape: weight.shape)
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
        if let nm { try NMPruning.checkWidths(model, selected, m: nm.m, method: Self.name) }
        if model.isTransformer { return try compressTransformer(model, selected: selected, context: context) }
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
            let mask = self.mask(weight: w, inputNorms: norms.norms, sparsity: sparsity)
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
