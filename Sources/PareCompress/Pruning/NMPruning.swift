import PareNN
import PareTensor

/// `prune-nm`: N:M semi-structured sparsity (default 2:4, the pattern sparse tensor cores
/// run): in every group of M consecutive weights along the input dimension keep the N
/// largest magnitudes (ties: lower index pruned first). `layers=` chooses layers.
public struct NMPruning: CompressionMethod {
    public static let name = "prune-nm"
    public static let summary = "N:M sparsity: keep the n largest |w| of every m consecutive inputs (default 2:4)."

    public var n: Int
    public var m: Int
    public var layers: LayerSelection

    public init(n: Int = 2, m: Int = 4, layers: LayerSelection = .init(names: nil)) {
        self.n = n
        self.m = m
        self.layers = layers
    }

    public init(settings: Settings) throws {
        var s = settings
        n = try s.int("n", default: 2, valid: ("at least 1 (weights kept per group)", { $0 >= 1 }))!
        m = try s.int("m", default: 4, valid: ("at least 1 (the group size)", { $0 >= 1 }))!
        layers = LayerSelection(settings: &s)
        try s.finish()
        try Self.validate(n: n, m: m, method: Self.name)
    }

    static func validate(n: Int, m: Int, method: String) throws {
        if n > m {
            throw ConfigError("\(method): n=\(n) is larger than m=\(m); N:M sparsity keeps n of every m weights, so n must not exceed m.")
        }
    }

    /// A ConfigError unless `m` divides the input width of every selected layer.
    static func checkWidths(_ model: Model, _ selected: [Int], m: Int, method: String) throws {
        for i in selected where model.layers[i].inFeatures % m != 0 {
            let layer = model.layers[i]
            throw ConfigError("\(method): layer \(layer.name) has \(layer.inFeatures) inputs, which m=\(m) does not divide; choose an m that divides it or leave \(layer.name) out with layers=.")
        }
    }

    public var config: [String: ConfigValue] {
        ["n": .int(n), "m": .int(m), "layers": .string(layers.recorded)]
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        try Self.validate(n: n, m: m, method: Self.name)
        let selected = try layers.indices(in: model, method: Self.name)
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: true)
        try Self.checkWidths(model, selected, m: m, method: Self.name)
        var masks = [Tensor?](repeating: nil, count: model.layers.count)
        for i in selected {
            let w = model.layers[i].weight.decoded()
            let keep = Pruning.nmKeepMask(scores: Pruning.magnitudes(w), rows: w.rows, columns: w.columns, n: n, m: m)
            masks[i] = Pruning.maskTensor(keep, shape: w.shape)
        }
        let pruned = Pruning.applying(masks, to: model)
        let report = Pruning.report(pruned, layers: selected)
        return CompressionResult(model: pruned, notes: report.notes, extraMetrics: report.metrics)
    }
}
