import PareNN
import PareTensor

/// `prune-structured`: Ln-norm neuron pruning of hidden layers that physically removes the
/// neurons. Rows are chosen as `torch.nn.utils.prune.ln_structured(dim=0, n=norm)` chooses
/// them — round(amount · out) rows with the smallest Ln norm, per layer, each layer ranked on
/// its original weights (ties: lower row first) — and then removed: the row of W_l, the entry
/// of b_l and the column of W_{l+1}. The result has smaller layers (`Model.dims` changes), so
/// its parameters, FLOPs, size and latency really drop.
/// `norm=1|2|inf` (default 2), `amount` (default 0.5), `layers=` (hidden layers; default all
/// of them — the output layer's neurons are the classes and are never pruned).
/// On a decoder LM, `target=heads|channels|blocks` chooses what goes (with `importance=`,
/// `heads=`): see `TransformerStructuredPruning`.
public struct StructuredPruning: CompressionMethod {
    public static let name = "prune-structured"
    public static let summary = "Remove whole units so the model shrinks: an MLP's hidden neurons by Ln norm (norm=1|2|inf), a decoder's attention heads, MLP channels or blocks (target=heads|channels|blocks)."

    public enum Norm: String, Sendable, CaseIterable {
        case l1 = "1", l2 = "2", inf = "inf"
    }

    public var amount: Double
    public var norm: Norm
    public var layers: LayerSelection
    /// What a transformer loses (`target=`); nil prunes an MLP's hidden neurons.
    public var transformer: TransformerStructuredPruning.Options?

    public init(amount: Double = 0.5, norm: Norm = .l2, layers: LayerSelection = .init(names: nil),
                transformer: TransformerStructuredPruning.Options? = nil) {
        self.amount = amount
        self.norm = norm
        self.layers = layers
        self.transformer = transformer
    }

    public init(settings: Settings) throws {
        typealias T = TransformerStructuredPruning
        var s = settings
        let target = try s.string("target", oneOf: T.Target.allCases.map(\.rawValue)).map { T.Target(rawValue: $0)! }
        if target == .blocks {
            amount = try s.double("amount", default: 0.5, valid: (
                "a whole number of blocks (1 or more) or a fraction at least 0 and below 1",
                { $0 >= 0 && ($0 < 1 || $0 == $0.rounded()) }))!
        } else {
            amount = try Pruning.amount(&s)!
        }
        let normGiven = s.has("norm")
        norm = Norm(rawValue: try s.string("norm", default: "2", oneOf: Norm.allCases.map(\.rawValue))!)!
        layers = LayerSelection(settings: &s)
        let importanceGiven = s.has("importance"), headsGiven = s.has("heads")
        let importance = T.Importance(rawValue: try s.string("importance", default: "weight", oneOf: T.Importance.allCases.map(\.rawValue))!)!
        let heads = T.HeadGrouping(rawValue: try s.string("heads", default: "groups", oneOf: T.HeadGrouping.allCases.map(\.rawValue))!)!
        let loraRankGiven = s.has("lora_rank")
        let loraRank = try s.int("lora_rank", default: 8, valid: ("1 or more", { $0 >= 1 }))!
        try s.finish()
        if loraRankGiven && importance != .lora {
            throw ConfigError("\(Self.name): lora_rank= sets the adapters of importance=lora (LoRAPrune); give importance=lora too, or leave it out.")
        }
        guard let target else {
            if importanceGiven || headsGiven {
                throw ConfigError("\(Self.name): importance= and heads= apply to transformers only, with target=heads|channels|blocks; an MLP's neurons are ranked by norm=.")
            }
            transformer = nil
            return
        }
        if headsGiven && target != .heads {
            throw ConfigError("\(Self.name): heads= chooses how attention heads go, so it needs target=heads, not target=\(target.rawValue).")
        }
        if target == .blocks && (importanceGiven || normGiven) {
            throw ConfigError("\(Self.name): target=blocks ranks blocks by their influence on the calibration text; leave importance= and norm= out.")
        }
        if importance != .weight && normGiven {
            throw ConfigError("\(Self.name): norm= ranks by weight norm; it does not apply with importance=\(importance.rawValue), so leave it out.")
        }
        if layers.names != nil {
            throw ConfigError("\(Self.name): target=\(target.rawValue) prunes every block alike, so one config.json describes the model; leave layers= out.")
        }
        transformer = T.Options(target: target, amount: amount, importance: importance, norm: norm, heads: heads,
                                loraRank: loraRank)
    }

    public var config: [String: ConfigValue] {
        guard let t = transformer else {
            return ["amount": .double(amount), "norm": .string(norm.rawValue), "layers": .string(layers.names == nil ? "hidden" : layers.recorded)]
        }
        var c: [String: ConfigValue] = ["target": .string(t.target.rawValue), "amount": .double(amount)]
        if t.target != .blocks {
            c["importance"] = .string(t.importance.rawValue)
            if t.importance == .weight { c["norm"] = .string(norm.rawValue) }
            if t.importance == .lora { c["lora_rank"] = .int(t.loraRank) }
        }
        if t.target == .heads { c["heads"] = .string(t.heads.rawValue) }
        return c
    }

    public func validate(_ model: Model, context: CompressionContext) throws {
        if let transformer {
            guard model.isTransformer else {
                throw ConfigError("\(Self.name): target=\(transformer.target.rawValue) prunes transformers; on an MLP leave target= out to remove hidden neurons.")
            }
            _ = try TransformerStructuredPruning.validate(transformer, model: model, context: context)
        }
    }

    /// The Ln norm of each row of `weight`.
    public static func rowNorms(_ weight: Tensor, norm: Norm) -> [Double] {
        (0..<weight.rows).map { r in
            let row = weight.data[r * weight.columns ..< (r + 1) * weight.columns].map { Double(abs($0)) }
            switch norm {
            case .l1: return row.reduce(0, +)
            case .l2: return row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            case .inf: return row.max() ?? 0
            }
        }
    }

    /// For each layer of `model`: the rows (neurons) that stay, or nil where nothing is pruned.
    public func keptNeurons(in model: Model) throws -> [[Int]?] {
        let last = model.layers.count - 1
        let selected: [Int]
        if layers.names == nil {
            selected = Array(0..<last)
        } else {
            selected = try layers.indices(in: model, method: Self.name)
            if selected.contains(last) {
                throw ConfigError("\(Self.name): \(model.layers[last].name) is the output layer; its neurons are the classes, so it cannot be pruned (name only hidden layers in layers=).")
            }
        }
        var kept = [[Int]?](repeating: nil, count: model.layers.count)
        for i in selected {
            let layer = model.layers[i]
            let k = Pruning.prunedCount(amount: amount, of: layer.outFeatures)
            if k >= layer.outFeatures {
                throw ConfigError("\(Self.name): amount=\(amount) would remove all \(layer.outFeatures) neurons of \(layer.name); use a smaller amount.")
            }
            let keep = Pruning.keepMask(scores: Self.rowNorms(layer.weight.decoded(), norm: norm), pruning: k)
            kept[i] = keep.indices.filter { keep[$0] }
        }
        return kept
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if model.isTransformer || transformer != nil {
            if model.isTransformer { try checkTransformerSupport() }
            try validate(model, context: context)
            return try TransformerStructuredPruning.compress(model, options: transformer!, context: context)
        }
        let kept = try keptNeurons(in: model)
        // Removing neurons rewrites the shapes of a layer and of the one after it.
        let touched = model.layers.indices.filter { kept[$0] != nil || ($0 > 0 && kept[$0 - 1] != nil) }
        try Pruning.checkPrunable(model, layers: touched, method: Self.name, keepsQuantization: false)
        var layers = model.layers
        var notes: [String] = []
        for i in model.layers.indices {
            let keepRows = kept[i]
            let keepColumns = i > 0 ? kept[i - 1] : nil
            guard keepRows != nil || keepColumns != nil else { continue }
            let layer = model.layers[i]
            let w = layer.weight.decoded()
            let rows = keepRows ?? Array(0..<w.rows)
            let columns = keepColumns ?? Array(0..<w.columns)
            var data: [Float] = []
            data.reserveCapacity(rows.count * columns.count)
            for r in rows {
                for c in columns { data.append(w.data[r * w.columns + c]) }
            }
            let shrunk = Tensor(shape: [rows.count, columns.count], data: data)
            layers[i] = LinearLayer(name: layer.name, weight: SparseEncoding.best(for: shrunk),
                                    bias: layer.bias.map { b in rows.map { b[$0] } })
            if let keepRows {
                notes.append("\(layer.name): removed \(w.rows - keepRows.count) of \(w.rows) neurons (L\(norm.rawValue) norm)")
            }
        }
        let shrunk = Model(layers: layers, activation: model.activation)
        let before = model.layers.reduce(0) { $0 + $1.weight.parameterCount }
        let after = shrunk.layers.reduce(0) { $0 + $1.weight.parameterCount }
        notes.append("dims \(model.dims.map(String.init).joined(separator: ",")) → \(shrunk.dims.map(String.init).joined(separator: ","))")
        return CompressionResult(model: shrunk, notes: notes,
                                 extraMetrics: ["weights_removed_fraction": before == 0 ? 0 : 1 - Double(after) / Double(before)])
    }
}
