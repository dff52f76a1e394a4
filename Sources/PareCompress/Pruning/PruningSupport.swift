import PareNN
import PareTensor

/// Shared pieces of the pruning methods: reading `amount`, counting and choosing what to
/// prune with PyTorch's conventions, applying masks, and re-encoding pruned layers in their
/// smallest storage (dense, bitmask or CSR) so size and latency follow the sparsity.
public enum Pruning {
    /// Reads `amount` (fraction pruned), which must lie in [0, 1).
    static func amount(_ settings: inout Settings, default fallback: Double? = 0.5) throws -> Double? {
        try settings.double("amount", default: fallback,
                            valid: ("at least 0 and below 1 (the fraction of weights to zero)", { $0 >= 0 && $0 < 1 }))
    }

    /// How many of `count` items `amount` prunes, as torch.nn.utils.prune does it:
    /// Python's round(amount · count), which rounds halves to even.
    public static func prunedCount(amount: Double, of count: Int) -> Int {
        min(count, Int((amount * Double(count)).rounded(.toNearestOrEven)))
    }

    /// keep[i] == false for exactly `k` entries: the `k` smallest scores. Among equal scores the
    /// lower index is pruned first (the order a stable sort gives; torch.topk does not specify
    /// its tie order, so only the count is guaranteed to match PyTorch bit for bit on ties).
    public static func keepMask<S: Comparable>(scores: [S], pruning k: Int) -> [Bool] {
        precondition(k >= 0 && k <= scores.count)
        var keep = [Bool](repeating: true, count: scores.count)
        guard k > 0 else { return keep }
        let cut = scores.sorted()[k - 1]          // the k-th smallest score
        var pruned = 0
        for i in scores.indices where scores[i] < cut { keep[i] = false; pruned += 1 }
        for i in scores.indices where pruned < k && scores[i] == cut { keep[i] = false; pruned += 1 }
        return keep
    }

    /// A mask tensor (1 = keep, 0 = pruned) of `shape` from a keep list.
    public static func maskTensor(_ keep: [Bool], shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: keep.map { $0 ? 1 : 0 })
    }

    /// weight ⊙ mask, with pruned entries exactly +0.
    public static func applying(_ mask: Tensor, to weight: Tensor) -> Tensor {
        precondition(mask.shape == weight.shape, "mask \(mask.shape) does not fit weight \(weight.shape)")
        return Tensor(shape: weight.shape, data: zip(weight.data, mask.data).map { $1 != 0 ? $0 : 0 })
    }

    /// `model` with each non-nil mask applied to its layer; pruned layers re-encoded by `SparseEncoding.best`.
    public static func applying(_ masks: [Tensor?], to model: Model) -> Model {
        precondition(masks.count == model.layers.count, "\(masks.count) masks for \(model.layers.count) layers")
        var weights: [Int: Tensor] = [:]
        for (i, mask) in masks.enumerated() {
            if let mask { weights[i] = applying(mask, to: model.layers[i].weight.decoded()) }
        }
        return replacing(weights, in: model)
    }

    /// `model` with the given layers' weights replaced (stored in their smallest encoding). A
    /// layer that was weight-only quantized stays quantized with its own scales (the kept values
    /// are its dequantized codes, so they keep their codes): `quantized`, or `sparse-quantized`
    /// once the pruned weights make that smaller.
    public static func replacing(_ weights: [Int: Tensor], in model: Model) -> Model {
        var out = model
        for (i, w) in weights {
            let layer = model.layers[i]
            let encoded: any LinearWeight
            if let params = QuantizedStorage.params(of: layer.weight) {
                encoded = QuantizedStorage.requantizing(w, params: params)
            } else {
                encoded = SparseEncoding.best(for: w)
            }
            out.layers[i] = LinearLayer(name: layer.name, weight: encoded, bias: layer.bias)
        }
        return out
    }

    /// Encodings a pruning method reads as plain float weights.
    static let floatEncodings: Set<String> = [DenseWeight.encodingName, SparseBitmaskWeight.encodingName, SparseCSRWeight.encodingName]

    /// A ConfigError when a selected layer is stored in a form this method cannot prune without
    /// silently undoing an earlier stage. Mask-only pruners (`keepsQuantization`) can prune a
    /// weight-only quantized layer (it stays quantized, see `replacing`); methods that rewrite
    /// the kept weights (SparseGPT) or the shapes (structured) cannot, and no pruner can prune a
    /// layer quantized for int8 activations (quant-static/dynamic/smooth).
    static func checkPrunable(_ model: Model, layers: [Int], method: String, keepsQuantization: Bool) throws {
        for i in layers {
            let encoding = model.layers[i].weight.encodingName
            if floatEncodings.contains(encoding) { continue }
            if keepsQuantization, QuantizedStorage.params(of: model.layers[i].weight) != nil { continue }
            throw ConfigError("\(method) cannot prune \(model.layers[i].name): it is already quantized (stored as \(encoding)); prune before quantizing, e.g. --method \(method)+quant-weight.")
        }
    }

    /// Notes (per pruned layer: zeros and encoding) and the `sparsity` metric (zero weights
    /// over all Linear weights of the result).
    static func report(_ model: Model, layers: [Int]) -> (notes: [String], metrics: [String: Double]) {
        var notes: [String] = []
        for i in layers {
            let w = model.layers[i].weight
            let zeros = w.parameterCount - w.nonzeroCount
            let percent = w.parameterCount == 0 ? 0 : 100 * Double(zeros) / Double(w.parameterCount)
            notes.append("\(model.layers[i].name): \(zeros) of \(w.parameterCount) weights zero (\(formatPercent(percent))), stored as \(w.encodingName)")
        }
        let total = model.layers.reduce(0) { $0 + $1.weight.parameterCount }
        let nonzero = model.layers.reduce(0) { $0 + $1.weight.nonzeroCount }
        return (notes, ["sparsity": total == 0 ? 0 : 1 - Double(nonzero) / Double(total)])
    }

    static func formatPercent(_ p: Double) -> String {
        let tenths = (p * 10).rounded() / 10
        return "\(tenths) %"
    }

    /// keep mask for N:M sparsity: in every group of `m` consecutive entries of a row keep the
    /// `n` largest scores (ties: the lower index is pruned first). `columns` must be a multiple of `m`.
    public static func nmKeepMask(scores: [Float], rows: Int, columns: Int, n: Int, m: Int) -> [Bool] {
        precondition(columns % m == 0 && n <= m && scores.count == rows * columns)
        var keep = [Bool](repeating: true, count: scores.count)
        for start in stride(from: 0, to: scores.count, by: m) {
            let group = keepMask(scores: Array(scores[start..<start + m]), pruning: m - n)
            for j in 0..<m { keep[start + j] = group[j] }
        }
        return keep
    }

    /// |w| of every entry, the score of magnitude pruning.
    public static func magnitudes(_ t: Tensor) -> [Float] { t.data.map { abs($0) } }
}

/// A pruning method that can compute masks at any target sparsity: what gradual pruning
/// (AGP: `schedule=agp steps=k finetune_epochs=e`) calls at each step, fine-tuning between
/// steps with the masks held fixed so pruned weights stay exactly zero.
public protocol MaskPruner: Sendable {
    /// One mask per layer of `model` (1 = keep, 0 = pruned; nil = layer not pruned) reaching
    /// `sparsity` over the method's selected layers.
    func masks(for model: Model, sparsity: Double, context: CompressionContext) throws -> [Tensor?]
}

/// Zhu & Gupta's automated gradual pruning schedule: s_t = s_f + (s_0 − s_f)(1 − t/n)³ for
/// step t of n, rising fast at first and levelling off at the final sparsity s_f.
public enum AGPSchedule {
    public static func sparsity(step t: Int, of n: Int, initial s0: Double = 0, final sf: Double) -> Double {
        precondition(n > 0 && t >= 0 && t <= n, "AGP step \(t) outside 0…\(n)")
        let remaining = 1 - Double(t) / Double(n)
        return sf + (s0 - sf) * remaining * remaining * remaining
    }

    /// The targets of steps 1…n (the last is exactly `final`).
    public static func sparsities(steps n: Int, initial s0: Double = 0, final sf: Double) -> [Double] {
        (1...n).map { sparsity(step: $0, of: n, initial: s0, final: sf) }
    }
}

/// The pruning family, for the method registry (`--method NAME`).
public enum PruningMethods {
    public static let all: [any CompressionMethod.Type] = [
        MagnitudePruning.self, NMPruning.self, WandaPruning.self, SparseGPTPruning.self, StructuredPruning.self,
    ]
}
