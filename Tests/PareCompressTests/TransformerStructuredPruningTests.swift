import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// prune-structured on a decoder: the physically pruned model against the unpruned model with
/// the same units masked (their output-projection columns zeroed, which removes their every
/// contribution), block dropping against running the model with the block skipped, and block
/// influence on a hand case.
@Suite struct TransformerStructuredPruningTests {
    /// The tiny Llama of PareTestSupport: 2 blocks, 4 query heads in 2 key/value groups of
    /// head_dim 8, 48 MLP channels, hidden 32, vocabulary 540.
    static func decoder() throws -> CausalDecoder {
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-tstruct-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case .decoder(let d) = try TransformerRegistry.load(directory: try TinyTransformers.llama(in: folder)) else {
            throw ConfigError("not a decoder")
        }
        return d
    }

    /// Seeded random windows of token ids.
    static func windows(count: Int = 3, length: Int = 12, seed: UInt64 = 3) -> TextWindows {
        var random = SeededRandom(seed: seed)
        let windows = (0..<count).map { _ in (0..<length).map { _ in Int(random.nextDouble() * 539) } }
        return TextWindows(spec: TextSpec(path: "random", tokens: count * length, context: length), windows: windows)
    }

    static let probe = [5, 17, 99, 3, 250, 41, 7, 300, 12, 88]

    static func method(_ settings: [String: String]) throws -> StructuredPruning {
        try StructuredPruning(settings: Settings(method: StructuredPruning.name, values: settings))
    }

    static func prune(_ d: CausalDecoder, _ settings: [String: String], calibrate: Bool = false) throws -> (CausalDecoder, CompressionResult) {
        let context = CompressionContext(calibrationText: calibrate ? windows() : nil)
        let result = try method(settings).compress(Model(transformer: .decoder(d)), context: context)
        guard case .decoder(let pruned)? = result.model.transformer else { throw ConfigError("not a decoder") }
        return (pruned, result)
    }

    /// The rows of `small` [r, n] as indices of rows of `big` [R, n] (each must appear exactly).
    static func rowIndices(of small: Tensor, in big: Tensor) -> [Int] {
        let n = small.columns
        return (0..<small.rows).map { r in
            let row = Array(small.data[r * n ..< (r + 1) * n])
            return (0..<big.rows).first { Array(big.data[$0 * n ..< ($0 + 1) * n]) == row } ?? -1
        }
    }

    /// `d` with the input columns `columns` of the Linear `path` zeroed.
    static func zeroing(_ d: CausalDecoder, _ path: String, columns: [Int]) -> CausalDecoder {
        var out = d
        out.mapLinears { l in
            guard l.name == path else { return l }
            var w = l.weight.decoded()
            for r in 0..<w.rows { for c in columns { w.data[r * w.columns + c] = 0 } }
            return Linear(name: l.name, weight: DenseWeight(w), bias: l.bias)
        }
        return out
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        return zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    // MARK: Heads

    /// Masks the query heads the pruned model lost (found by matching its q rows against the
    /// original's) and checks the logits agree; returns the removed heads per block.
    func expectHeadsMatchTheMaskedModel(_ d: CausalDecoder, _ pruned: CausalDecoder) throws -> [[Int]] {
        let hd = d.spec.headDim
        var masked = d
        var removedPerBlock: [[Int]] = []
        for b in d.layers.indices {
            let rows = Self.rowIndices(of: pruned.layers[b].attention.query.weight.decoded(), in: d.layers[b].attention.query.weight.decoded())
            let kept = Set(stride(from: 0, to: rows.count, by: hd).map { rows[$0] / hd })
            let removed = (0..<d.spec.heads).filter { !kept.contains($0) }
            removedPerBlock.append(removed)
            masked = Self.zeroing(masked, "model.layers.\(b).self_attn.o_proj", columns: removed.flatMap { Array($0 * hd ..< ($0 + 1) * hd) })
        }
        let diff = Self.maxDifference(try pruned.logits(tokens: Self.probe), try masked.logits(tokens: Self.probe))
        #expect(diff < 1e-5, "pruned vs masked logits differ by \(diff)")
        // Real change: the masked model is not the original.
        #expect(Self.maxDifference(try masked.logits(tokens: Self.probe), try d.logits(tokens: Self.probe)) > 1e-3)
        return removedPerBlock
    }

    @Test func removingWholeKeyValueGroupsEqualsMaskingTheirHeads() throws {
        let d = try Self.decoder()
        let (pruned, result) = try Self.prune(d, ["target": "heads", "amount": "0.5"])
        #expect(pruned.spec.heads == 2 && pruned.spec.kvHeads == 1 && pruned.spec.headDim == 8)
        for layer in pruned.layers {
            #expect(layer.attention.query.outFeatures == 16 && layer.attention.key.outFeatures == 8)
            #expect(layer.attention.value.outFeatures == 8 && layer.attention.output.inFeatures == 16)
            #expect(layer.attention.heads == 2 && layer.attention.kvHeads == 1)
        }
        let removed = try expectHeadsMatchTheMaskedModel(d, pruned)
        // Whole groups: heads {0,1} or {2,3} go together.
        for r in removed { #expect(r == [0, 1] || r == [2, 3]) }
        // The group that goes has the smaller L2 norm over its q/k/v rows and o columns (computed here directly).
        for b in d.layers.indices {
            let a = d.layers[b].attention
            func sq(_ t: Tensor, rows: Range<Int>) -> Double { rows.flatMap { r in (0..<t.columns).map { Double(t.data[r * t.columns + $0]) } }.reduce(0) { $0 + $1 * $1 } }
            func sqc(_ t: Tensor, columns: Range<Int>) -> Double { (0..<t.rows).flatMap { r in columns.map { Double(t.data[r * t.columns + $0]) } }.reduce(0) { $0 + $1 * $1 } }
            let norms = (0..<2).map { g in
                sq(a.query.weight.decoded(), rows: g * 16 ..< (g + 1) * 16) + sq(a.key.weight.decoded(), rows: g * 8 ..< (g + 1) * 8)
                    + sq(a.value.weight.decoded(), rows: g * 8 ..< (g + 1) * 8) + sqc(a.output.weight.decoded(), columns: g * 16 ..< (g + 1) * 16)
            }
            #expect(removed[b] == (norms[0] < norms[1] ? [0, 1] : [2, 3]))
        }
        #expect(result.notes.contains { $0.contains("heads 4 → 2, key/value heads 2 → 1") })
        #expect(result.extraMetrics["structured_removed_fraction"] == 0.5)
        // The KV cache follows the new width: cached decoding equals the prefill.
        var cache = pruned.makeCache()
        let prefill = try pruned.logits(tokens: Self.probe)
        var last = Tensor(zeros: [1, 1])
        for t in Self.probe { last = try pruned.decode(token: t, cache: &cache) }
        let tail = Array(prefill.data[(Self.probe.count - 1) * prefill.columns ..< Self.probe.count * prefill.columns])
        #expect(zip(tail, last.data).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func removingHeadsWithinGroupsKeepsKeysAndValues() throws {
        let d = try Self.decoder()
        let (pruned, _) = try Self.prune(d, ["target": "heads", "amount": "0.5", "heads": "within", "importance": "activation"],
                                         calibrate: true)
        #expect(pruned.spec.heads == 2 && pruned.spec.kvHeads == 2)
        for (b, layer) in pruned.layers.enumerated() {
            #expect(layer.attention.key.weight.decoded() == d.layers[b].attention.key.weight.decoded())
        }
        let removed = try expectHeadsMatchTheMaskedModel(d, pruned)
        // One query head from each group.
        for r in removed { #expect(r.count == 2 && r[0] < 2 && r[1] >= 2) }
    }

    // MARK: Channels

    func expectChannelsMatchTheMaskedModel(_ d: CausalDecoder, _ pruned: CausalDecoder) throws -> [[Int]] {
        var masked = d
        var keptPerBlock: [[Int]] = []
        for b in d.layers.indices {
            guard case .gated(let small) = pruned.layers[b].mlp, case .gated(let big) = d.layers[b].mlp else { throw ConfigError("not gated") }
            let kept = Self.rowIndices(of: small.gate.weight.decoded(), in: big.gate.weight.decoded())
            #expect(Self.rowIndices(of: small.up.weight.decoded(), in: big.up.weight.decoded()) == kept)
            keptPerBlock.append(kept)
            masked = Self.zeroing(masked, "model.layers.\(b).mlp.down_proj", columns: (0..<d.spec.intermediateSize).filter { !kept.contains($0) })
        }
        let diff = Self.maxDifference(try pruned.logits(tokens: Self.probe), try masked.logits(tokens: Self.probe))
        #expect(diff < 1e-5, "pruned vs masked logits differ by \(diff)")
        #expect(Self.maxDifference(try masked.logits(tokens: Self.probe), try d.logits(tokens: Self.probe)) > 1e-3)
        return keptPerBlock
    }

    @Test func removingMLPChannelsEqualsMaskingTheirDownColumns() throws {
        let d = try Self.decoder()
        let (pruned, result) = try Self.prune(d, ["target": "channels", "amount": "0.25", "norm": "1"])
        #expect(pruned.spec.intermediateSize == 36)
        let kept = try expectChannelsMatchTheMaskedModel(d, pruned)
        // L1 weight norm of gate row + up row + down column, computed here: the 12 smallest go.
        guard case .gated(let m) = d.layers[0].mlp else { return }
        let g = m.gate.weight.decoded(), u = m.up.weight.decoded(), w = m.down.weight.decoded()
        var l1 = [Double](repeating: 0, count: 48)
        for c in 0..<48 {
            for j in 0..<32 {
                let gate = Double(abs(g.data[c * 32 + j])), up = Double(abs(u.data[c * 32 + j])), down = Double(abs(w.data[j * 48 + c]))
                l1[c] += gate + up + down
            }
        }
        let expected = (0..<48).sorted { l1[$0] > l1[$1] }.prefix(36).sorted()
        #expect(kept[0] == Array(expected))
        #expect(result.extraMetrics["structured_removed_fraction"] == 0.25)
        // Three Linear layers of 48 × 32 per block lose a quarter; attention (4 × 32·32-ish) stays.
        let before = 2 * (32 * 32 + 16 * 32 * 2 + 32 * 32 + 3 * 48 * 32), removedWeights = 2 * 3 * 12 * 32
        #expect(abs(result.extraMetrics["weights_removed_fraction"]! - Double(removedWeights) / Double(before)) < 1e-12)
    }

    @Test func activationImportanceIsWandasScorePerChannelOnCalibrationInputs() throws {
        let d = try Self.decoder()
        let (pruned, _) = try Self.prune(d, ["target": "channels", "amount": "0.5", "importance": "activation"], calibrate: true)
        let kept = try expectChannelsMatchTheMaskedModel(d, pruned)
        // Block 0 sees the unpruned model's inputs: Σ|W|·‖X‖ from captured inputs, computed here.
        let capture = LinearInputCapture(paths: ["model.layers.0.mlp.gate_proj", "model.layers.0.mlp.down_proj"])
        for w in Self.windows().windows { _ = try d.logits(tokens: w, observer: capture.observer) }
        func norms(_ x: Tensor) -> [Double] {
            var n = [Double](repeating: 0, count: x.columns)
            for r in 0..<x.rows { for j in 0..<x.columns { let v = Double(x.data[r * x.columns + j]); n[j] += v * v } }
            return n.map { $0.squareRoot() }
        }
        let xin = norms(capture.inputs(of: "model.layers.0.mlp.gate_proj")!), xh = norms(capture.inputs(of: "model.layers.0.mlp.down_proj")!)
        guard case .gated(let m) = d.layers[0].mlp else { return }
        let g = m.gate.weight.decoded(), u = m.up.weight.decoded(), w = m.down.weight.decoded()
        var score = [Double](repeating: 0, count: 48)
        for c in 0..<48 {
            for j in 0..<32 {
                let gate = Double(abs(g.data[c * 32 + j])), up = Double(abs(u.data[c * 32 + j])), down = Double(abs(w.data[j * 48 + c]))
                score[c] += (gate + up) * xin[j] + down * xh[c]
            }
        }
        #expect(kept[0] == Array((0..<48).sorted { score[$0] > score[$1] }.prefix(24).sorted()))
        // And it is not what the weight norm alone would keep (the activations matter here).
        let (byWeight, _) = try Self.prune(d, ["target": "channels", "amount": "0.5"])
        #expect(try expectChannelsMatchTheMaskedModel(d, byWeight)[0] != kept[0])
    }

    /// LLM-Pruner's first-order Taylor importance: Σ|W·∂L/∂W| over a channel's gate/up rows and
    /// down column, ∂L/∂W the mean of the windows' loss gradients (checked against finite
    /// differences in PareNN's DecoderGradientTests), computed here from them.
    @Test func taylorImportanceIsTheFirstOrderTermOfTheLossPerChannel() throws {
        let d = try Self.decoder()
        let (pruned, result) = try Self.prune(d, ["target": "channels", "amount": "0.5", "importance": "taylor"], calibrate: true)
        let kept = try expectChannelsMatchTheMaskedModel(d, pruned)
        #expect(result.notes.contains { $0.contains("first-order Taylor") })
        let windows = Self.windows().windows
        var grads: [String: [Double]] = [:]
        for w in windows {
            for (name, t) in try d.gradients(tokens: w).weights {
                let add = t.data.map { Double($0) / Double(windows.count) }
                grads[name] = grads[name].map { zip($0, add).map(+) } ?? add
            }
        }
        for b in 0..<2 {
            #expect(kept[b] == Self.topHalfByTaylorScore(d, block: b) { grads[$0]! }, "block \(b)")
        }
        let (byWeight, _) = try Self.prune(d, ["target": "channels", "amount": "0.5"])
        #expect(try expectChannelsMatchTheMaskedModel(d, byWeight)[0] != kept[0])
        // Heads by Taylor importance: whole key/value groups, still equal to the masked model.
        let (headsPruned, _) = try Self.prune(d, ["target": "heads", "amount": "0.5", "importance": "taylor"], calibrate: true)
        #expect(headsPruned.spec.kvHeads == 1)
        _ = try expectHeadsMatchTheMaskedModel(d, headsPruned)
    }

    /// LoRAPrune's criterion: the same Σ|W·Ĝ| with Ĝ estimated from rank-r adapters at their
    /// initialisation (B = 0), where Ĝ = ∂L/∂B·A = s·G·AᵀA; computed here from the full mean
    /// gradient G and PEFT's A drawn per layer from the seed (s = 1: alpha = rank), the channels
    /// kept are the top half by that score.
    @Test func loraImportanceRanksChannelsByTheGradientSeenThroughTheAdapters() throws {
        let d = try Self.decoder()
        let (pruned, result) = try Self.prune(d, ["target": "channels", "amount": "0.5", "importance": "lora", "lora_rank": "4"],
                                              calibrate: true)
        let kept = try expectChannelsMatchTheMaskedModel(d, pruned)
        #expect(result.notes.contains { $0.contains("LoRAPrune") && $0.contains("rank-4") })
        let windows = Self.windows().windows
        var grads: [String: Tensor] = [:]
        for w in windows {
            for (name, t) in try d.gradients(tokens: w).weights {
                let add = t.data.map { $0 / Float(windows.count) }
                grads[name] = Tensor(shape: t.shape, data: grads[name].map { zip($0.data, add).map(+) } ?? add)
            }
        }
        let order = d.layers.flatMap(\.linears).map(\.name)
        func estimate(_ name: String) -> [Double] {
            let g = grads[name]!
            let a = Tensor(shape: [4, g.columns], data: LoRAAdapters.initialA(rows: 4, columns: g.columns, seed: UInt64(order.firstIndex(of: name)!)))
            return matmul(matmul(g, a, transposeB: true), a).data.map(Double.init)
        }
        for b in 0..<2 {
            #expect(kept[b] == Self.topHalfByTaylorScore(d, block: b) { estimate($0) }, "block \(b)")
        }
        let (taylor, _) = try Self.prune(d, ["target": "channels", "amount": "0.5", "importance": "taylor"], calibrate: true)
        #expect(try expectChannelsMatchTheMaskedModel(d, taylor) != kept, "a rank-4 view of the gradient ranks like the full one")
    }

    /// The top half of block `block`'s 48 channels by Σ|W·Ĝ| over the channel's gate/up rows and
    /// down column (hidden 32), with Ĝ of each Linear given by `gradient` (the full one for
    /// Taylor, the adapters' estimate for LoRAPrune).
    static func topHalfByTaylorScore(_ d: CausalDecoder, block b: Int, gradient: (String) -> [Double]) -> [Int] {
        guard case .gated(let m) = d.layers[b].mlp else { return [] }
        let g = m.gate.weight.decoded(), u = m.up.weight.decoded(), w = m.down.weight.decoded()
        let gg = gradient(m.gate.name), gu = gradient(m.up.name), gw = gradient(m.down.name)
        var score = [Double](repeating: 0, count: 48)
        for c in 0..<48 {
            for j in 0..<32 {
                score[c] += abs(Double(g.data[c * 32 + j]) * gg[c * 32 + j]) + abs(Double(u.data[c * 32 + j]) * gu[c * 32 + j])
                    + abs(Double(w.data[j * 48 + c]) * gw[j * 48 + c])
            }
        }
        return Array((0..<48).sorted { score[$0] > score[$1] }.prefix(24).sorted())
    }

    // MARK: Blocks

    @Test func blockInfluenceOfAnIdentityBlockIsZero() throws {
        // Block 1 with zero o_proj and down_proj adds nothing to the residual: output = input.
        let identity = Self.zeroing(Self.zeroing(try Self.decoder(), "model.layers.1.self_attn.o_proj", columns: Array(0..<32)),
                                    "model.layers.1.mlp.down_proj", columns: Array(0..<48))
        let bi = try TransformerStructuredPruning.blockInfluence(identity, windows: Self.windows())
        #expect(abs(bi[1]) < 1e-12 && bi[0] > 1e-3, "\(bi)")
        // Hand case of the cosine itself: rows (1,0)·(1,1) → 1/√2, (0,2)·(0,−3) → −1, (3,4)·(3,4) → 1.
        let a = Tensor(shape: [3, 2], data: [1, 0, 0, 2, 3, 4]), b = Tensor(shape: [3, 2], data: [1, 1, 0, -3, 3, 4])
        #expect(abs(TransformerStructuredPruning.rowCosineSum(a, b) - 0.5.squareRoot()) < 1e-12)
        // Dropping one block removes the identity, and the logits do not change.
        let (pruned, result) = try Self.prune(identity, ["target": "blocks", "amount": "1"], calibrate: true)
        #expect(pruned.spec.layers == 1 && pruned.layers.count == 1)
        #expect(Self.maxDifference(try pruned.logits(tokens: Self.probe), try identity.logits(tokens: Self.probe)) < 1e-6)
        #expect(result.notes.contains { $0.hasPrefix("removed blocks 1 (BI 0)") }, "\(result.notes)")
    }

    @Test func droppingABlockEqualsRunningTheModelWithItSkipped() throws {
        let d = try Self.decoder()
        let bi = try TransformerStructuredPruning.blockInfluence(d, windows: Self.windows())
        let (pruned, _) = try Self.prune(d, ["target": "blocks", "amount": "0.5"], calibrate: true)
        let dropped = bi[0] <= bi[1] ? 0 : 1, kept = 1 - dropped
        // Skipped by hand: embeddings, the kept block, the final norm and head.
        let x = try d.blockInput(tokens: Self.probe)
        let skipped = d.logits(fromLastBlock: d.layers[kept].forward(x, rotary: d.rotaryTable(count: Self.probe.count)))
        #expect(Self.maxDifference(try pruned.logits(tokens: Self.probe), skipped) < 1e-6)
        // The kept block is renumbered 0, norms and Linear leaves alike.
        #expect(pruned.linears.map(\.name).filter { $0.hasPrefix("model.layers.") }.allSatisfy { $0.hasPrefix("model.layers.0.") })
        #expect(Model(transformer: .decoder(pruned)).transformer!.nonLinearTensors.map(\.name)
            .contains("model.layers.0.post_attention_layernorm.weight"))
        #expect(pruned.layers[0].attention.query.weight.decoded() == d.layers[kept].attention.query.weight.decoded())
    }

    @Test func renumberingTouchesOnlyTheBlockIndex() {
        let map = [3: 1, 10: 2]
        #expect(TransformerStructuredPruning.renumbered("model.layers.10.mlp.up_proj", map) == "model.layers.2.mlp.up_proj")
        #expect(TransformerStructuredPruning.renumbered("model.layers.3.input_layernorm", map) == "model.layers.1.input_layernorm")
        #expect(TransformerStructuredPruning.renumbered("model.layers.1.input_layernorm", map) == "model.layers.1.input_layernorm")
        #expect(TransformerStructuredPruning.renumbered("lm_head", map) == "lm_head")
    }

    // MARK: Bad input

    func refused(_ settings: [String: String], calibrate: Bool = false, _ fragment: String,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let d = try Self.decoder()
        do {
            let m = try Self.method(settings)
            try m.checkTransformerSupport()
            try m.validate(Model(transformer: .decoder(d)), context: CompressionContext(calibrationText: calibrate ? Self.windows() : nil))
            Issue.record("accepted \(settings)", sourceLocation: sourceLocation)
        } catch let error as ConfigError {
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.filter { $0 == "." }.count <= 2, "one sentence: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badSettingsAreOneSentenceBeforeAnythingRuns() throws {
        try refused(["amount": "0.5"], "needs --set target=heads|channels|blocks")
        try refused(["target": "heads", "amount": "0.9"], "would remove all 2 key/value groups")
        try refused(["target": "heads", "amount": "0.75", "heads": "within"], "would remove all 2 query heads of each key/value group")
        try refused(["target": "channels", "amount": "0.99"], "would remove all 48 MLP channels")
        try refused(["target": "blocks", "amount": "2"], calibrate: true, "would remove all 2 blocks")
        try refused(["target": "blocks", "amount": "0.9"], calibrate: true, "would remove all 2 blocks")
        try refused(["target": "blocks", "amount": "1.5"], "a whole number of blocks")
        try refused(["target": "blocks", "amount": "1"], "--calib text:FILE")
        try refused(["target": "channels", "importance": "activation"], "--calib text:FILE")
        try refused(["target": "channels", "layers": "model.layers.0.*"], "leave layers= out")
        try refused(["target": "channels", "heads": "within"], "needs target=heads")
        try refused(["target": "blocks", "norm": "1"], "leave importance= and norm= out")
        try refused(["target": "heads", "importance": "activation", "norm": "1"], "does not apply with importance=activation")
        try refused(["target": "heads", "importance": "taylor", "norm": "1"], "does not apply with importance=taylor")
        try refused(["target": "heads", "importance": "taylor"], "importance=taylor scores groups on calibration text")
        try refused(["target": "rows"], "target must be one of heads, channels, blocks")
        try refused(["target": "heads", "lora_rank": "4"], "give importance=lora too")
        try refused(["target": "heads", "importance": "lora", "lora_rank": "16"], calibrate: true, "is not below")
    }

    @Test func transformerSettingsOnAnMLPAndAnEncoderAreRefused() throws {
        let mlp = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(Tensor(zeros: [4, 3])), bias: nil),
                                 LinearLayer(name: "fc2", weight: DenseWeight(Tensor(zeros: [2, 4])), bias: nil)], activation: .relu)
        #expect(throws: ConfigError.self) { try Self.method(["target": "channels"]).validate(mlp, context: .init()) }
        #expect(throws: ConfigError.self) { _ = try Self.method(["importance": "activation"]) }
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-tstruct-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bert = Model(transformer: try TransformerRegistry.load(directory: try TinyTransformers.bert(in: folder)))
        do {
            try Self.method(["target": "heads"]).validate(bert, context: .init())
            Issue.record("an encoder was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("decoder LMs only"))
        }
    }
}
