import Foundation
import PareNN
import PareTensor

/// `prune-structured` on a decoder LM, by LLM-Pruner's dependency groups, so the model
/// physically shrinks and one config.json still describes it (the same number of units goes
/// in every block):
/// - `target=heads`: an attention head's q/k/v rows and its o_proj columns go together. With
///   grouped-query attention `heads=groups` removes whole KV groups (the group's k/v rows and
///   every query head reading them); `heads=within` removes the same number of query heads
///   inside every group (k/v stay).
/// - `target=channels`: an MLP channel's gate/up rows and its down_proj column.
/// - `target=blocks`: whole decoder blocks, those with the lowest block influence on the
///   calibration text (ShortGPT: BI_i = 1 − mean over tokens of cos(x_i, x_{i+1})).
/// Heads and channels are ranked per block by `importance=weight` (the Ln norm, `norm=`, of all
/// the group's weights) or `importance=activation` (Wanda's Σ|W_ij|·‖X_j‖ over the group's
/// weights, ‖X_j‖ from the calibration inputs of the Linear the weight belongs to), the latter
/// block by block: each block is ranked on the inputs the already pruned blocks produce; or
/// `importance=taylor` (LLM-Pruner's first-order term Σ|W_ij·∂L/∂W_ij| over the group's weights,
/// ∂L/∂W the gradient of the mean next-token loss over the calibration windows, on the
/// unpruned model); or `importance=lora` (LoRAPrune's criterion: the same Σ|W_ij·Ĝ_ij| with Ĝ
/// estimated from rank-`lora_rank` LoRA adapters' gradients alone, no full weight gradient —
/// see `loraGradientEstimates`).
public enum TransformerStructuredPruning {
    public enum Target: String, Sendable, CaseIterable { case heads, channels, blocks }
    public enum Importance: String, Sendable, CaseIterable { case weight, activation, taylor, lora }
    /// Under grouped-query attention: remove whole KV groups, or query heads within each group.
    public enum HeadGrouping: String, Sendable, CaseIterable { case groups, within }

    public struct Options: Sendable, Equatable {
        public var target: Target
        /// heads/channels: the fraction removed per block; blocks: a count (≥ 1) or a fraction (< 1).
        public var amount: Double
        public var importance: Importance
        public var norm: StructuredPruning.Norm
        public var heads: HeadGrouping
        /// importance=lora: the adapters' rank.
        public var loraRank: Int

        public init(target: Target, amount: Double, importance: Importance = .weight,
                    norm: StructuredPruning.Norm = .l2, heads: HeadGrouping = .groups, loraRank: Int = 8) {
            self.loraRank = loraRank
            self.target = target
            self.amount = amount
            self.importance = importance
            self.norm = norm
            self.heads = heads
        }

        /// Whether compressing needs calibration windows.
        public var needsCalibration: Bool { target == .blocks || importance != .weight }
    }

    static let method = StructuredPruning.name

    // MARK: Checks

    /// How many units go per block (blocks: in all), refusing an amount that removes them all.
    public static func removedCount(_ options: Options, in decoder: CausalDecoder) throws -> Int {
        let s = decoder.spec
        switch options.target {
        case .blocks:
            let k = options.amount >= 1 ? Int(options.amount) : Pruning.prunedCount(amount: options.amount, of: s.layers)
            guard k < s.layers else {
                throw ConfigError("\(method): amount=\(format(options.amount)) would remove all \(s.layers) blocks; remove fewer blocks.")
            }
            return k
        case .channels:
            let k = Pruning.prunedCount(amount: options.amount, of: s.intermediateSize)
            guard k < s.intermediateSize else {
                throw ConfigError("\(method): amount=\(format(options.amount)) would remove all \(s.intermediateSize) MLP channels of every block; use a smaller amount.")
            }
            return k
        case .heads:
            let perGroup = s.heads / s.kvHeads
            switch options.heads {
            case .groups:
                let k = Pruning.prunedCount(amount: options.amount, of: s.kvHeads)
                guard k < s.kvHeads else {
                    let what = s.kvHeads == s.heads ? "\(s.heads) attention heads" : "\(s.kvHeads) key/value groups"
                    throw ConfigError("\(method): amount=\(format(options.amount)) would remove all \(what) of every block; use a smaller amount.")
                }
                return k
            case .within:
                let k = Pruning.prunedCount(amount: options.amount, of: perGroup)
                guard k < perGroup else {
                    throw ConfigError("\(method): amount=\(format(options.amount)) with heads=within would remove all \(perGroup) query heads of each key/value group; use a smaller amount, or heads=groups.")
                }
                return k
            }
        }
    }

    /// Everything about the model and the data that can be wrong, before anything runs.
    public static func validate(_ options: Options, model: Model, context: CompressionContext) throws -> CausalDecoder {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(method) on a transformer prunes decoder LMs only; it does not prune encoder (BERT) heads or channels yet.")
        }
        _ = try removedCount(options, in: decoder)
        if options.needsCalibration, context.calibrationText == nil {
            let why = options.target == .blocks ? "target=blocks ranks blocks by their influence on" : "importance=\(options.importance.rawValue) scores groups on"
            throw ConfigError("\(method): \(why) calibration text; pass --calib text:FILE[,samples=N][,context=C] (another text than --test).")
        }
        let indices = model.layers.indices.filter { model.layers[$0].name != "lm_head" }
        try Pruning.checkPrunable(model, layers: indices, method: method, keepsQuantization: false)
        if options.importance == .lora, options.target != .blocks,
           let narrow = decoder.layers.flatMap(\.linears).first(where: { options.loraRank >= min($0.inFeatures, $0.outFeatures) }) {
            // The layer's own name only: a path's dots would read as sentence ends.
            let layer = narrow.name.split(separator: ".").last.map(String.init) ?? narrow.name
            throw ConfigError("\(method): lora_rank=\(options.loraRank) is not below \(min(narrow.inFeatures, narrow.outFeatures)), the smaller side of the blocks' \(layer), so the adapter would not be low-rank; use a smaller rank.")
        }
        return decoder
    }

    // MARK: Compress

    public static func compress(_ model: Model, options: Options, context: CompressionContext) throws -> CompressionResult {
        let decoder = try validate(options, model: model, context: context)
        let k = try removedCount(options, in: decoder)
        var notes: [String] = []
        let pruned: CausalDecoder
        let unitFraction: Double
        switch options.target {
        case .blocks:
            let influence = try blockInfluence(decoder, windows: context.calibrationText!, progress: context.progress)
            let keep = Pruning.keepMask(scores: influence, pruning: k)
            let removed = keep.indices.filter { !keep[$0] }
            pruned = dropBlocks(decoder, removing: Set(removed))
            let listed = removed.map { "\($0) (BI \(format(influence[$0])))" }.joined(separator: ", ")
            notes.append("removed blocks \(removed.isEmpty ? "none" : listed) of \(decoder.layers.count) by block influence on the calibration text")
            unitFraction = Double(removed.count) / Double(decoder.layers.count)
        case .heads:
            let plans = try plan(decoder, options: options, removing: k, context: context)
            pruned = removeHeads(decoder, plans: plans)
            for (i, p) in plans.enumerated() {
                let gone = (0..<decoder.spec.heads).filter { !p.queryHeads.contains($0) }
                let groups = (0..<decoder.spec.kvHeads).filter { !p.kvHeads.contains($0) }
                let groupText = groups.isEmpty ? "" : " (key/value groups \(groups.map(String.init).joined(separator: ", ")))"
                notes.append("model.layers.\(i): removed query heads \(gone.map(String.init).joined(separator: ", "))\(groupText)")
            }
            notes.append("heads \(decoder.spec.heads) → \(pruned.spec.heads), key/value heads \(decoder.spec.kvHeads) → \(pruned.spec.kvHeads) per block (\(describe(options)))")
            unitFraction = 1 - Double(pruned.spec.heads) / Double(decoder.spec.heads)
        case .channels:
            let plans = try plan(decoder, options: options, removing: k, context: context)
            pruned = removeChannels(decoder, plans: plans)
            notes.append("MLP channels \(decoder.spec.intermediateSize) → \(pruned.spec.intermediateSize) per block (\(describe(options)))")
            unitFraction = 1 - Double(pruned.spec.intermediateSize) / Double(decoder.spec.intermediateSize)
        }
        let before = decoder.layers.flatMap(\.linears).reduce(0) { $0 + $1.weight.parameterCount }
        let after = pruned.layers.flatMap(\.linears).reduce(0) { $0 + $1.weight.parameterCount }
        let removedFraction = before == 0 ? 0 : 1 - Double(after) / Double(before)
        notes.append("effective: \(Pruning.formatPercent(100 * unitFraction)) of the \(options.target.rawValue) removed, \(Pruning.formatPercent(100 * removedFraction)) of the blocks' Linear weights")
        return CompressionResult(model: Model(transformer: .decoder(pruned)), notes: notes,
                                 extraMetrics: ["weights_removed_fraction": removedFraction,
                                                "structured_removed_fraction": unitFraction])
    }

    static func describe(_ options: Options) -> String {
        switch options.importance {
        case .weight: "L\(options.norm.rawValue) weight norm"
        case .activation: "activation-aware Σ|W|·‖X‖"
        case .taylor: "first-order Taylor Σ|W·∂L/∂W|"
        case .lora: "LoRAPrune Σ|W·Ĝ|, Ĝ from rank-\(options.loraRank) LoRA gradients"
        }
    }

    /// An amount as the user typed it (2, 0.25) and a block influence to four significant digits.
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", x)
    }

    // MARK: Block influence

    /// ShortGPT's block influence of every block on `windows`: 1 − the mean over all tokens of
    /// cos(block input, block output), the blocks run in order on the unpruned model.
    public static func blockInfluence(_ decoder: CausalDecoder, windows: TextWindows,
                                      progress: (Double, String) -> Void = { _, _ in }) throws -> [Double] {
        var cosineSums = [Double](repeating: 0, count: decoder.layers.count)
        var tokens = 0
        for (w, window) in windows.windows.enumerated() {
            let table = decoder.rotaryTable(count: window.count)
            var x = try decoder.blockInput(tokens: window)
            for b in decoder.layers.indices {
                let y = decoder.layers[b].forward(x, rotary: table)
                cosineSums[b] += rowCosineSum(x, y)
                x = y
            }
            tokens += window.count
            progress(Double(w + 1) / Double(windows.windows.count), "block influence")
        }
        return cosineSums.map { 1 - $0 / Double(max(tokens, 1)) }
    }

    /// Σ over rows of cos(a_r, b_r); a row pair with a zero vector counts as unchanged (1) when
    /// both are zero, else as orthogonal (0).
    static func rowCosineSum(_ a: Tensor, _ b: Tensor) -> Double {
        let d = a.columns
        var total = 0.0
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                for r in 0..<a.rows {
                    var dot = 0.0, na = 0.0, nb = 0.0
                    for j in r * d ..< (r + 1) * d {
                        let x = Double(ap[j]), y = Double(bp[j])
                        dot += x * y; na += x * x; nb += y * y
                    }
                    if na == 0 || nb == 0 { total += (na == 0 && nb == 0) ? 1 : 0 } else { total += dot / (na * nb).squareRoot() }
                }
            }
        }
        return total
    }

    /// The decoder without the blocks in `removed`; the rest renumbered 0, 1, … in order (the
    /// Hugging Face paths a config.json with the smaller `num_hidden_layers` expects).
    public static func dropBlocks(_ decoder: CausalDecoder, removing removed: Set<Int>) -> CausalDecoder {
        var out = decoder
        let kept = decoder.layers.indices.filter { !removed.contains($0) }
        let renumber = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        out.layers = kept.map { decoder.layers[$0] }
        for j in out.layers.indices {
            out.layers[j].inputNorm.rename { renumbered($0, renumber) }
            out.layers[j].postAttentionNorm.rename { renumbered($0, renumber) }
        }
        out.mapLinears { linear in
            var l = linear
            l.name = renumbered(l.name, renumber)
            return l
        }
        out.spec.layers = kept.count
        return out
    }

    /// `model.layers.N.rest` with N mapped through `map` (other paths unchanged).
    static func renumbered(_ path: String, _ map: [Int: Int]) -> String {
        let prefix = "model.layers."
        guard path.hasPrefix(prefix) else { return path }
        let rest = path.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]), let m = map[n] else { return path }
        return prefix + String(m) + String(rest[dot...])
    }

    // MARK: Heads and channels: which units stay

    /// Per block, the units that stay: query heads and key/value heads (target=heads), or MLP
    /// channels (in `channels`).
    public struct BlockPlan: Sendable, Equatable {
        public var queryHeads: [Int] = []
        public var kvHeads: [Int] = []
        public var channels: [Int] = []
    }

    /// The plan of every block: ranked on the weights alone, or block by block on the
    /// calibration inputs with the earlier blocks already pruned (their removed units masked).
    static func plan(_ decoder: CausalDecoder, options: Options, removing k: Int,
                     context: CompressionContext) throws -> [BlockPlan] {
        if options.importance == .weight {
            return decoder.layers.map { plan($0, options: options, removing: k, inputNorms: nil, outputInputNorms: nil) }
        }
        if options.importance == .taylor || options.importance == .lora {
            let gradients = options.importance == .taylor
                ? try lossGradients(decoder, windows: context.calibrationText!, progress: context.progress)
                : try loraGradientEstimates(decoder, rank: options.loraRank, seed: context.seed,
                                            windows: context.calibrationText!, progress: context.progress)
            return decoder.layers.map { plan($0, options: options, removing: k, inputNorms: nil, outputInputNorms: nil,
                                             gradients: gradients) }
        }
        var plans = [BlockPlan?](repeating: nil, count: decoder.layers.count)
        var firstNorms: [Int: [Double]] = [:]
        let heads = options.target == .heads
        let paths = decoder.layers.flatMap(\.linears).map(\.name).filter { path in
            heads ? BlockStage.attentionInput.contains(path) || BlockStage.attentionOutput.contains(path)
                  : BlockStage.mlpInput.contains(path) || BlockStage.mlpOutput.contains(path)
        }
        _ = try BlockwiseCalibration.run(decoder, windows: context.calibrationText!, selected: paths,
                                         label: "\(method) \(options.target.rawValue)", progress: context.progress) { group, model in
            let norms = InputStatistics.columnNorms(group.inputs)
            switch group.stage {
            case .attentionInput, .mlpInput:
                firstNorms[group.block] = norms
            case .attentionOutput, .mlpOutput:
                let p = plan(model.layers[group.block], options: options, removing: k,
                             inputNorms: firstNorms[group.block], outputInputNorms: norms)
                plans[group.block] = p
                // Mask the removed units (zero their output-projection columns): the next blocks
                // then see the pruned block's output, as the physically pruned model computes it.
                mask(&model.layers[group.block], plan: p, spec: model.spec, target: options.target)
            }
            return .weightsOnly
        }
        return plans.map { $0! }
    }

    /// ∂L/∂W of every Linear for the mean next-token loss over the windows (the mean of each
    /// window's gradient, the windows being of equal length), on the unpruned model.
    static func lossGradients(_ decoder: CausalDecoder, windows: TextWindows,
                              progress: (Double, String) -> Void) throws -> [String: Tensor] {
        var sum: [String: Tensor] = [:]
        for (i, window) in windows.windows.enumerated() {
            let g: DecoderGradients
            do { g = try decoder.gradients(tokens: window) } catch let error as DecoderGradientError {
                throw ConfigError("\(method): importance=taylor needs the loss gradient, but \(error.description).")
            }
            for (name, t) in g.weights {
                if sum[name] == nil { sum[name] = t } else { addScaled(&sum[name]!, t) }
            }
            progress(Double(i + 1) / Double(windows.windows.count), "gradients")
        }
        let n = Float(max(windows.windows.count, 1))
        return sum.mapValues { t in Tensor(shape: t.shape, data: t.data.map { $0 / n }) }
    }

    /// LoRAPrune's (Zhang et al., 2023) estimate of ∂L/∂W from LoRA alone: with adapters
    /// W + s·B·A on every Linear of the blocks, Ĝ = ∂L/∂B·A + B·∂L/∂A − ∂L/∂B·∂L/∂A, which needs
    /// only the rank-r gradients (the frozen pass never forms an [out, in] gradient). The
    /// adapters are taken at LoRA's initialisation (A as PEFT draws it from the run's seed, B = 0),
    /// where the last two terms vanish and Ĝ = s·∂L/∂W·AᵀA: the gradient seen through A's r input
    /// directions. Averaged over the calibration windows, on the unpruned model; the adapters
    /// only measure and are not kept (recovery is a `+finetune` stage).
    static func loraGradientEstimates(_ decoder: CausalDecoder, rank: Int, seed: UInt64, windows: TextWindows,
                                      progress: (Double, String) -> Void) throws -> [String: Tensor] {
        let linears = decoder.layers.flatMap(\.linears)   // every rank below each side: checked by validate
        let adapters = LoRAAdapters(decoder, paths: linears.map(\.name), rank: rank, alpha: Double(rank), seed: seed)
        let sums = LoRAAdapters.Gradients()
        for (i, window) in windows.windows.enumerated() {
            do {
                _ = try decoder.gradients(tokens: window, request: .frozen { adapters.accumulate($0, $1, $2, into: sums) })
            } catch let error as DecoderGradientError {
                throw ConfigError("\(method): importance=lora needs the loss gradient, but \(error.description).")
            }
            progress(Double(i + 1) / Double(windows.windows.count), "LoRA gradients")
        }
        let n = Float(max(windows.windows.count, 1))
        func mean(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, data: t.data.map { $0 / n }) }
        var estimates: [String: Tensor] = [:]
        for l in linears {
            estimates[l.name] = adapters.estimatedWeightGradient(l.name, dA: mean(sums.a[l.name]!), dB: mean(sums.b[l.name]!))
        }
        return estimates
    }

    private static func addScaled(_ a: inout Tensor, _ b: Tensor) {
        for i in 0..<a.count { a.data[i] += b.data[i] }
    }

    /// One block's plan. `inputNorms`: ‖X_j‖ of the q/k/v (gate/up) inputs; `outputInputNorms`:
    /// of o_proj's (down_proj's) inputs; nil for weight importance.
    static func plan(_ layer: DecoderLayer, options: Options, removing k: Int,
                     inputNorms: [Double]?, outputInputNorms: [Double]?, gradients: [String: Tensor] = [:]) -> BlockPlan {
        var p = BlockPlan()
        // With importance=taylor each weight also weighs by its gradient (same shape).
        func g(_ linear: Linear) -> Tensor? { gradients[linear.name] }
        switch options.target {
        case .channels:
            let (inputs, down) = mlpLinears(layer.mlp)
            let ws = inputs.map { $0.weight.decoded() }, wd = down.weight.decoded()
            let gs = inputs.map(g), gd = g(down)
            let scores = (0..<wd.columns).map { c -> Double in
                var s = GroupScore()
                for (w, gw) in zip(ws, gs) { s.add(rows: c..<c + 1, of: w, inputNorms: inputNorms, gradient: gw) }
                s.add(columns: c..<c + 1, of: wd, inputNorms: outputInputNorms, gradient: gd)
                return s.value(options)
            }
            let keep = Pruning.keepMask(scores: scores, pruning: k)
            p.channels = keep.indices.filter { keep[$0] }
        case .heads:
            let a = layer.attention, d = a.headDim, perGroup = a.heads / a.kvHeads
            let q = a.query.weight.decoded(), kw = a.key.weight.decoded(), v = a.value.weight.decoded()
            let o = a.output.weight.decoded()
            func headScore(_ h: Int) -> GroupScore {
                var s = GroupScore()
                s.add(rows: h * d ..< (h + 1) * d, of: q, inputNorms: inputNorms, gradient: g(a.query))
                s.add(columns: h * d ..< (h + 1) * d, of: o, inputNorms: outputInputNorms, gradient: g(a.output))
                return s
            }
            switch options.heads {
            case .groups:
                let scores = (0..<a.kvHeads).map { g -> Double in
                    var s = GroupScore()
                    for h in g * perGroup ..< (g + 1) * perGroup { s.merge(headScore(h)) }
                    s.add(rows: g * d ..< (g + 1) * d, of: kw, inputNorms: inputNorms, gradient: gradients[a.key.name])
                    s.add(rows: g * d ..< (g + 1) * d, of: v, inputNorms: inputNorms, gradient: gradients[a.value.name])
                    return s.value(options)
                }
                let keep = Pruning.keepMask(scores: scores, pruning: k)
                p.kvHeads = keep.indices.filter { keep[$0] }
                p.queryHeads = p.kvHeads.flatMap { Array($0 * perGroup ..< ($0 + 1) * perGroup) }
            case .within:
                p.kvHeads = Array(0..<a.kvHeads)
                for g in 0..<a.kvHeads {
                    let members = Array(g * perGroup ..< (g + 1) * perGroup)
                    let keep = Pruning.keepMask(scores: members.map { headScore($0).value(options) }, pruning: k)
                    p.queryHeads += members.indices.filter { keep[$0] }.map { members[$0] }
                }
            }
        case .blocks:
            preconditionFailure("blocks are ranked by block influence")
        }
        return p
    }

    /// The MLP's input projections (gate and up, or up) and its down projection.
    static func mlpLinears(_ mlp: FeedForward) -> (inputs: [Linear], down: Linear) {
        switch mlp {
        case .gated(let m): ([m.gate, m.up], m.down)
        case .plain(let m): ([m.up], m.down)
        }
    }

    /// Zeroes the output-projection columns of the units `plan` removes.
    static func mask(_ layer: inout DecoderLayer, plan p: BlockPlan, spec: DecoderSpec, target: Target) {
        func zeroing(_ linear: Linear, columns: [Int]) -> Linear {
            var w = linear.weight.decoded()
            for r in 0..<w.rows { for c in columns { w.data[r * w.columns + c] = 0 } }
            return Linear(name: linear.name, weight: DenseWeight(w), bias: linear.bias)
        }
        switch target {
        case .heads:
            let d = spec.headDim, kept = Set(p.queryHeads)
            let columns = (0..<spec.heads).filter { !kept.contains($0) }.flatMap { Array($0 * d ..< ($0 + 1) * d) }
            layer.attention.output = zeroing(layer.attention.output, columns: columns)
        case .channels:
            let kept = Set(p.channels)
            let columns = (0..<spec.intermediateSize).filter { !kept.contains($0) }
            switch layer.mlp {
            case .gated(var m): m.down = zeroing(m.down, columns: columns); layer.mlp = .gated(m)
            case .plain(var m): m.down = zeroing(m.down, columns: columns); layer.mlp = .plain(m)
            }
        case .blocks: break
        }
    }

    // MARK: Heads and channels: the physical removal

    /// The decoder with only each block's planned heads: q rows and o columns per query head,
    /// k/v rows per key/value head. Every plan keeps the same counts (the spec's new sizes).
    public static func removeHeads(_ decoder: CausalDecoder, plans: [BlockPlan]) -> CausalDecoder {
        var out = decoder
        let d = decoder.spec.headDim
        func slices(_ heads: [Int]) -> [Int] { heads.flatMap { Array($0 * d ..< ($0 + 1) * d) } }
        for (i, p) in plans.enumerated() {
            precondition(p.queryHeads.count == plans[0].queryHeads.count && p.kvHeads.count == plans[0].kvHeads.count,
                         "every block keeps the same number of heads")
            let a = decoder.layers[i].attention
            let qRows = slices(p.queryHeads), kvRows = slices(p.kvHeads)
            out.layers[i].attention = Attention(
                query: selecting(a.query, rows: qRows), key: selecting(a.key, rows: kvRows),
                value: selecting(a.value, rows: kvRows), output: selecting(a.output, columns: qRows),
                heads: p.queryHeads.count, kvHeads: p.kvHeads.count, headDim: d, causal: a.causal)
        }
        out.spec.heads = plans.first?.queryHeads.count ?? decoder.spec.heads
        out.spec.kvHeads = plans.first?.kvHeads.count ?? decoder.spec.kvHeads
        return out
    }

    /// The decoder with only each block's planned MLP channels: gate/up rows, down columns.
    public static func removeChannels(_ decoder: CausalDecoder, plans: [BlockPlan]) -> CausalDecoder {
        var out = decoder
        for (i, p) in plans.enumerated() {
            precondition(p.channels.count == plans[0].channels.count, "every block keeps the same number of channels")
            switch decoder.layers[i].mlp {
            case .gated(var m):
                m.gate = selecting(m.gate, rows: p.channels)
                m.up = selecting(m.up, rows: p.channels)
                m.down = selecting(m.down, columns: p.channels)
                out.layers[i].mlp = .gated(m)
            case .plain(var m):
                m.up = selecting(m.up, rows: p.channels)
                m.down = selecting(m.down, columns: p.channels)
                out.layers[i].mlp = .plain(m)
            }
        }
        out.spec.intermediateSize = plans.first?.channels.count ?? decoder.spec.intermediateSize
        return out
    }

    /// The Linear with only output rows `rows` (and their bias entries), re-encoded as the
    /// smallest float form (a sparse layer stays sparse).
    static func selecting(_ linear: Linear, rows: [Int]) -> Linear {
        let w = linear.weight.decoded(), n = w.columns
        var data: [Float] = []
        data.reserveCapacity(rows.count * n)
        for r in rows { data += w.data[r * n ..< (r + 1) * n] }
        return Linear(name: linear.name, weight: SparseEncoding.best(for: Tensor(shape: [rows.count, n], data: data)),
                      bias: linear.bias.map { b in rows.map { b[$0] } })
    }

    /// The Linear with only input columns `columns` (its bias, per output, unchanged).
    static func selecting(_ linear: Linear, columns: [Int]) -> Linear {
        let w = linear.weight.decoded(), n = w.columns
        var data: [Float] = []
        data.reserveCapacity(w.rows * columns.count)
        for r in 0..<w.rows { for c in columns { data.append(w.data[r * n + c]) } }
        return Linear(name: linear.name, weight: SparseEncoding.best(for: Tensor(shape: [w.rows, columns.count], data: data)),
                      bias: linear.bias)
    }
}

/// The importance of one dependency group, accumulated over its weights in Double: the Ln
/// norms of all of them together, and Wanda's Σ|W_ij|·‖X_j‖ (‖X_j‖ of the input feature the
/// weight multiplies, in the Linear it belongs to).
struct GroupScore {
    var sumAbs = 0.0, sumSquares = 0.0, maxAbs = 0.0, activation = 0.0, taylor = 0.0

    /// Rows `rows` of w [out, in]; `inputNorms` has one entry per input column; `gradient` is
    /// ∂L/∂w (w's shape) for the Taylor term.
    mutating func add(rows: Range<Int>, of w: Tensor, inputNorms: [Double]?, gradient: Tensor? = nil) {
        let n = w.columns
        for r in rows {
            for j in 0..<n { add(w.data[r * n + j], inputNorms?[j], gradient?.data[r * n + j]) }
        }
    }

    /// Columns `columns` of w [out, in]; `inputNorms` has one entry per input column.
    mutating func add(columns: Range<Int>, of w: Tensor, inputNorms: [Double]?, gradient: Tensor? = nil) {
        let n = w.columns
        for r in 0..<w.rows {
            for c in columns { add(w.data[r * n + c], inputNorms?[c], gradient?.data[r * n + c]) }
        }
    }

    @inline(__always)
    mutating func add(_ weight: Float, _ inputNorm: Double?, _ gradient: Float? = nil) {
        let a = Double(abs(weight))
        sumAbs += a
        sumSquares += a * a
        maxAbs = max(maxAbs, a)
        if let inputNorm { activation += a * inputNorm }
        if let gradient { taylor += abs(Double(weight) * Double(gradient)) }
    }

    mutating func merge(_ other: GroupScore) {
        sumAbs += other.sumAbs
        sumSquares += other.sumSquares
        maxAbs = max(maxAbs, other.maxAbs)
        activation += other.activation
        taylor += other.taylor
    }

    func value(_ options: TransformerStructuredPruning.Options) -> Double {
        switch options.importance {
        case .activation: return activation
        case .taylor, .lora: return taylor
        case .weight:
            switch options.norm {
            case .l1: return sumAbs
            case .l2: return sumSquares.squareRoot()
            case .inf: return maxAbs
            }
        }
    }
}

extension Normalization {
    /// Renames the norm's module path (its tensors follow: `NAME.weight`, `NAME.bias`).
    mutating func rename(_ transform: (String) -> String) {
        switch self {
        case .rms(var n): n.name = transform(n.name); self = .rms(n)
        case .layer(var n): n.name = transform(n.name); self = .layer(n)
        }
    }
}
