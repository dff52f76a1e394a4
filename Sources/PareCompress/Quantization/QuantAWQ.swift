import Foundation
import PareNN
import PareTensor

/// `quant-awq`: AWQ (Lin et al. 2024), activation-aware weight quantization of a decoder LM.
/// For each group of Linear layers that read one input, per-input-channel scales
/// s = mean|X|^r (normalised so √(max·min) = 1) are searched over r = 0, 1/grid, …, (grid−1)/grid;
/// each candidate is scored by the output error of the group's selected layers with their
/// weights quantized as Q(W·diag(s))·diag(1/s), on the calibration inputs (through
/// ‖ΔX‖² = tr(Δ·XᵀX·Δᵀ), so every calibration token counts at the cost of one Gram matrix).
/// The best s multiplies the weights' columns and its inverse is folded upstream, exactly, at
/// no run-time cost: into the norm before q/k/v and before gate/up, into up_proj's rows before
/// down_proj, and into v_proj's rows before o_proj with s tied across the query heads of each
/// key/value group. Each block is scaled in fp32, then its selected layers are quantized by
/// round-to-nearest and it produces the next block's inputs. r = 0 is s = 1, plain RTN, so the
/// search never does worse than RTN on its own loss. Then, with clip=true (the default, as the
/// reference), the reference's second step: each selected layer's range is clipped per row
/// group by `AWQClip` on the group's scaled inputs, except q_proj and k_proj, which the
/// reference skips because their error passes through the q·kᵀ product that a per-layer output
/// error does not see.
/// Settings: bits (4), granularity (group or channel with clip=true), group_size (128), scheme
/// (affine, as AWQ's zero points), grid (20), clip (true), layers.
public struct QuantAWQ: CompressionMethod {
    public static let name = "quant-awq"
    public static let summary = "AWQ: activation-aware channel scales searched on --calib and folded into the norms, then group-wise RTN (decoder LMs)."

    let options: WeightQuantOptions
    let grid: Int
    let clip: Bool
    let layers: LayerSelection

    public init(settings: Settings) throws {
        var s = settings
        options = try WeightQuantOptions(settings: &s, defaultBits: 4, defaultGranularity: "group", defaultScheme: .affine)
        grid = try s.int("grid", default: 20, valid: ("a whole number from 1 to 100", { (1...100).contains($0) }))!
        clip = try s.string("clip", default: "true", oneOf: ["true", "false"]) == "true"
        if clip && options.granularity == "tensor" {
            throw ConfigError("\(Self.name): clip=true searches one clipping per row or row group, so it needs granularity=group or channel (or pass clip=false).")
        }
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        options.config.merging(["grid": .int(grid), "clip": .string(clip ? "true" : "false"), "layers": .string(layers.recorded)]) { a, _ in a }
    }

    public func checkTransformerSupport() throws {}

    public func validate(_ model: Model, context: CompressionContext) throws {
        guard model.isTransformer else {
            throw ConfigError("\(Self.name) scales channels through a decoder LM's norms; on an MLP use quant-gptq or quant-weight.")
        }
        try BlockwiseCalibration.refuseEncoderFolding(model, for: Self.name)
        try BlockwiseCalibration.check(model, context: context, method: Self.name)
        try options.check(model, layers: try layers.indices(in: model, method: Self.name), method: Self.name)
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        try validate(model, context: context)
        let selected = Set(try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name))
        var chosenRatios: [Double] = []
        var clipRatios: [Double] = [], clipGain: (before: Double, after: Double) = (0, 0)
        let out = try BlockwiseCalibration.compress(model, layers: layers, context: context, method: Self.name, compress: { group, decoder in
            let shared = AWQ.sharedInputLayers(decoder.layers[group.block], group.stage)
            var meanAbs = InputStatistics.columnMeanAbs(group.inputs)
            let attention = decoder.layers[group.block].attention
            let tied = group.stage == .attentionOutput
            if tied { meanAbs = AWQ.tiedPerKVGroup(meanAbs, attention) }
            let exactGram = InputStatistics.gram(group.inputs)
            let gram = exactGram.map { Float($0) }
            let scored = try group.paths.map { path -> (Tensor, (Tensor) throws -> Tensor) in
                let layer = decoder.linear(at: path)!
                let granularity = try options.granularity(for: layer, method: Self.name)
                // Fake quantization: codes and back, without packing them into a stored encoding
                // (the search does this 20 times per layer).
                return (try DecoderSmoothing.denseWeight(layer), { w in
                    let params = try QuantParams.fit(w, format: options.format, granularity: granularity, layer: path)
                    return params.dequantize(params.quantize(w))
                })
            }
            let search = try AWQ.search(weights: scored.map(\.0), quantizers: scored.map(\.1), gram: gram,
                                        meanAbs: meanAbs, grid: grid)
            chosenRatios.append(Double(search.best) / Double(grid))
            let s = search.scales
            try DecoderSmoothing.scaleColumns(of: shared, by: s, in: &decoder)
            switch group.stage {
            case .attentionInput: decoder.layers[group.block].inputNorm.divideOutput(by: s)
            case .mlpInput: decoder.layers[group.block].postAttentionNorm.divideOutput(by: s)
            case .attentionOutput:
                // s is tied per value row: any column that reads a row carries its factor.
                var perValueRow = [Float](repeating: 1, count: attention.kvHeads * attention.headDim)
                for column in s.indices { perValueRow[attention.valueRow(readBy: column)] = s[column] }
                try DecoderSmoothing.divideRows(of: attention.value, by: perValueRow, in: &decoder)
            case .mlpOutput:
                guard case .gated(let mlp) = decoder.layers[group.block].mlp else {
                    throw ConfigError("\(Self.name): \(group.paths[0]) follows a plain activation that a scale cannot pass through; leave it out of layers=.")
                }
                try DecoderSmoothing.divideRows(of: mlp.up, by: s, in: &decoder)
            }
            if clip {
                // The layers now hold W·diag(s) and read X·diag(1/s), whose Gram is diag(1/s)·XᵀX·diag(1/s).
                let attention = decoder.layers[group.block].attention
                let skipped: Set<String> = [attention.query.name, attention.key.name]
                let k = s.count
                var scaledGram = exactGram
                for a in 0..<k { for b in 0..<k { scaledGram[a * k + b] /= Double(s[a]) * Double(s[b]) } }
                for path in group.paths where !skipped.contains(path) {
                    let layer = decoder.linear(at: path)!
                    let w = try DecoderSmoothing.denseWeight(layer)
                    let groupSize: Int
                    if case .group(let size) = try options.granularity(for: layer, method: Self.name) { groupSize = size } else { groupSize = w.columns }
                    let found = AWQClip.search(weight: w, gram: scaledGram, format: options.format, groupSize: groupSize)
                    clipRatios.append(found.meanRatio)
                    clipGain.before += found.unclippedError; clipGain.after += found.error
                    try decoder.setLinear(Linear(name: path, weight: DenseWeight(AWQClip.clamped(w, found)), bias: layer.bias), at: path)
                }
            }
            return .inputChanged
        }, finishBlock: { b, decoder in
            for layer in decoder.layers[b].linears where selected.contains(layer.name) {
                let granularity = try options.granularity(for: layer, method: Self.name)
                let q = try QuantizedStorage.quantizing(layer.weight.decoded(), format: options.format,
                                                        granularity: granularity, layer: layer.name)
                try decoder.setLinear(Linear(name: layer.name, weight: q, bias: layer.bias), at: layer.name)
            }
        })
        let mean = chosenRatios.reduce(0, +) / Double(max(chosenRatios.count, 1))
        let unscaled = chosenRatios.filter { $0 == 0 }.count
        return CompressionResult(model: out, notes: [
            String(format: "AWQ scales searched for %d layer groups: mean exponent %.2f; %d kept s = 1 (plain RTN was best).",
                   chosenRatios.count, mean, unscaled)]
            + (clip ? [String(format: "AWQ clipping searched for %d layers (q_proj and k_proj skipped, as the reference): mean range ratio %.3f; the groups' partial output error fell %.1f %% below unclipped RTN.",
                              clipRatios.count, clipRatios.reduce(0, +) / Double(max(clipRatios.count, 1)),
                              clipGain.before > 0 ? 100 * (1 - clipGain.after / clipGain.before) : 0)] : []))
    }
}

/// The AWQ scale search, usable on its own (tests check it against RTN and a hand case).
public enum AWQ {
    public struct Search: Sendable {
        public var scales: [Float]
        /// The loss of each grid point r = k/grid.
        public var losses: [Double]
        /// The index of the chosen grid point (0: s = 1).
        public var best: Int
    }

    /// Searches s = meanAbs^r over the grid for `weights` (each [out, in], reading inputs whose
    /// Gram matrix XᵀX is `gram` [in × in]); `quantizers` give each weight's fake-quantized copy.
    public static func search(weights: [Tensor], quantizers: [(Tensor) throws -> Tensor], gram: [Float],
                              meanAbs: [Float], grid: Int) throws -> Search {
        var losses: [Double] = []
        var best = 0, bestScales = [Float](repeating: 1, count: meanAbs.count)
        for k in 0..<grid {
            let s = scales(meanAbs: meanAbs, ratio: Double(k) / Double(grid))
            var loss = 0.0
            for (w, q) in zip(weights, quantizers) { loss += try outputError(w, scales: s, gram: gram, quantize: q) }
            losses.append(loss)
            if loss < losses[best] || k == 0 { best = k; bestScales = s }
        }
        return Search(scales: bestScales, losses: losses, best: best)
    }

    /// s = max(meanAbs^ratio, 1e-4) / √(max s · min s), as the reference normalises it.
    public static func scales(meanAbs: [Float], ratio: Double) -> [Float] {
        let raw = meanAbs.map { max(Float(pow(Double($0), ratio)), 1e-4) }
        let norm = (raw.max()! * raw.min()!).squareRoot()
        return raw.map { $0 / norm }
    }

    /// ‖X·Wᵀ − X·(Q(W·diag(s))·diag(1/s))ᵀ‖² = Σ_rows δ·(XᵀX)·δᵀ for δ = W − Q(W·diag(s))/s.
    public static func outputError(_ w: Tensor, scales s: [Float], gram: [Float],
                                   quantize: (Tensor) throws -> Tensor) throws -> Double {
        let out = w.rows, k = w.columns
        var scaled = w
        for r in 0..<out { for j in 0..<k { scaled.data[r * k + j] *= s[j] } }
        let q = try quantize(scaled)
        var delta = w
        for r in 0..<out { for j in 0..<k { delta.data[r * k + j] -= q.data[r * k + j] / s[j] } }
        var product = [Float](repeating: 0, count: out * k)
        delta.data.withUnsafeBufferPointer { dp in
            gram.withUnsafeBufferPointer { gp in
                product.withUnsafeMutableBufferPointer { pp in
                    sgemm(.no, .no, m: out, n: k, k: k, a: dp.baseAddress!, lda: k, b: gp.baseAddress!, ldb: k,
                          c: pp.baseAddress!, ldc: k)
                }
            }
        }
        var total = 0.0
        for i in product.indices { total += Double(product[i]) * Double(delta.data[i]) }
        return total
    }

    /// Every Linear reading the input of `stage` (scaling the input scales all of them, selected or not).
    static func sharedInputLayers(_ layer: DecoderLayer, _ stage: BlockStage) -> [Linear] {
        switch (stage, layer.mlp) {
        case (.attentionInput, _): [layer.attention.query, layer.attention.key, layer.attention.value]
        case (.attentionOutput, _): [layer.attention.output]
        case (.mlpInput, .gated(let m)): [m.gate, m.up]
        case (.mlpInput, .plain(let m)): [m.up]
        case (.mlpOutput, .gated(let m)): [m.down]
        case (.mlpOutput, .plain(let m)): [m.down]
        }
    }

    /// o_proj's per-column statistic averaged over the query heads of each key/value group, so
    /// its scales fold into v_proj's rows.
    static func tiedPerKVGroup(_ perColumn: [Float], _ attention: Attention) -> [Float] {
        let perGroup = Float(attention.heads / attention.kvHeads)
        var tied = [Float](repeating: 0, count: attention.kvHeads * attention.headDim)
        for column in perColumn.indices { tied[attention.valueRow(readBy: column)] += perColumn[column] / perGroup }
        return attention.perOutputColumn(tied)
    }
}
