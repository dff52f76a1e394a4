import Foundation
import PareCompress
import PareNN
import PareTensor
import PareTestSupport
import Testing

/// The block-by-block calibration of decoder LMs, checked against the compressed model run end
/// to end (an independent path: the model's own forward with an input observer).
@Suite struct BlockwiseCalibrationTests {
    static func tinyDecoder() throws -> CausalDecoder {
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-blockwise-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case .decoder(let d) = try TransformerRegistry.load(directory: try TinyTransformers.llama(in: folder)) else {
            preconditionFailure("the tiny llama is a decoder")
        }
        return d
    }

    static func windows(count: Int = 3, length: Int = 12, seed: UInt64 = 1) -> TextWindows {
        var random = SplitMix64(seed)
        let windows = (0..<count).map { _ in (0..<length).map { _ in Int(random.next() % 500) } }
        return TextWindows(spec: TextSpec(path: "calib.txt", tokens: count * length, context: length), windows: windows)
    }

    static func context(_ windows: TextWindows) -> CompressionContext { CompressionContext(calibrationText: windows) }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Every Linear's inputs over the windows in the final model, stacked.
    static func capturedInputs(_ decoder: CausalDecoder, _ windows: TextWindows) throws -> LinearInputCapture {
        let capture = LinearInputCapture()
        for w in windows.windows { _ = try decoder.hiddenStates(tokens: w, observer: capture.observer) }
        return capture
    }

    /// The calibration over `stack` with every group's layers rounded to 3 bits per channel:
    /// the compressed model, the input each layer was handed, the groups in order, and how many
    /// windows (or packs) a group's input came in.
    static func threeBitPass<Stack: CalibrationStack>(_ stack: Stack, _ windows: TextWindows, selected: [String]) throws
        -> (model: Stack, seen: [String: Tensor], groups: [[String]], parts: Int) {
        var seen: [String: Tensor] = [:]
        var groups: [[String]] = []
        var parts = 0
        let out = try BlockwiseCalibration.run(stack, windows: windows, selected: selected, label: "test", progress: { _, _ in }) { group, model in
            groups.append(group.paths)
            parts = group.inputs.count
            for path in group.paths {
                seen[path] = InputStatistics.stacked(group.inputs)
                let layer = model.linear(at: path)!
                let q = try QuantizedStorage.quantizing(layer.weight.decoded(), format: QuantFormat(bits: 3, scheme: .symmetric, signedCodes: false),
                                                        granularity: .channel, layer: path)
                try model.setLinear(Linear(name: path, weight: q, bias: layer.bias), at: path)
            }
            return .weightsOnly
        }
        return (out, seen, groups, parts)
    }

    @Test func stagesInOrderEqualTheBlockForward() throws {
        let decoder = try Self.tinyDecoder()
        let x = try decoder.blockInput(tokens: [3, 14, 15, 92, 65, 35])
        let table = decoder.rotaryTable(count: 6)
        let layer = decoder.layers[1]
        var state = DecoderBlockState(input: x)
        var current = layer.stageInput(.attentionInput, &state, rotary: table)
        for stage in BlockStage.allCases { current = layer.advance(from: stage, current, &state, rotary: table) }
        #expect(Self.maxDifference(current, layer.forward(x, rotary: table)) < 1e-5)
        // stageInput from scratch equals advancing to the same stage.
        var fresh = DecoderBlockState(input: x)
        var stepped = DecoderBlockState(input: x)
        var s = layer.stageInput(.attentionInput, &stepped, rotary: table)
        for stage in [BlockStage.attentionInput, .attentionOutput, .mlpInput] { s = layer.advance(from: stage, s, &stepped, rotary: table) }
        #expect(Self.maxDifference(layer.stageInput(.mlpOutput, &fresh, rotary: table), s) < 1e-5)
    }

    @Test func groupInputsEqualThoseOfTheCompressedModelRunEndToEnd() throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let selected = decoder.layers.flatMap { $0.linears.map(\.name) }
        let (out, seen, groups, _) = try Self.threeBitPass(decoder, windows, selected: selected)
        #expect(groups.count == 8)
        #expect(groups[0] == ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj"])
        #expect(groups[2] == ["model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"])
        let capture = try Self.capturedInputs(out, windows)
        for path in selected {
            let end = try #require(capture.inputs(of: path))
            #expect(Self.maxDifference(seen[path]!, end) < 1e-5, "inputs of \(path)")
        }
        // The 3-bit model really differs from the original, so the check above is not vacuous.
        let original = try Self.capturedInputs(decoder, windows)
        #expect(Self.maxDifference(original.inputs(of: "model.layers.1.mlp.down_proj")!, capture.inputs(of: "model.layers.1.mlp.down_proj")!) > 1e-3)
    }

    @Test func gptqOnTheDecoderSharesOneHessianPerGroupAndEqualsPerLayerGPTQ() throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let method = try QuantGPTQ(settings: Settings(method: "quant-gptq", values: ["bits": "3", "granularity": "group", "group_size": "16"]))
        let result = try method.compress(Model(transformer: .decoder(decoder)), context: Self.context(windows))
        guard case .decoder(let out)? = result.model.transformer else { Issue.record("not a decoder"); return }
        // Each layer's codes equal GPTQ run on that layer alone with its own Hessian from the
        // inputs it sees in the final model (GPTQ flips near-tied roundings on any change of
        // the Hessian's last bits, so both use the float Gram matrix, itself checked against
        // the Double one below).
        let capture = try Self.capturedInputs(out, windows)
        for path in ["model.layers.0.self_attn.k_proj", "model.layers.1.self_attn.o_proj", "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"] {
            let inputs = capture.inputs(of: path)!
            let perWindow = (0..<windows.windows.count).map { k in
                Tensor(shape: [12, inputs.columns], data: Array(inputs.data[(k * 12 * inputs.columns)..<((k + 1) * 12 * inputs.columns)]))
            }
            var h = InputStatistics.gram(perWindow)
            let exact = SparseGPTPruning.hessian(inputs)
            #expect(zip(h, exact).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
            for i in h.indices { h[i] *= 2 / Double(inputs.rows) }
            let alone = try GPTQ.quantize(decoder.linear(at: path)!.weight.decoded(), hessian: h,
                                          format: QuantFormat(bits: 3, scheme: .symmetric, signedCodes: false), granularity: .group(16))
            let mine = out.linear(at: path)!.weight.decoded()
            #expect(Self.maxDifference(mine, alone.weight.decoded()) < 1e-4, "\(path)")
        }
    }

    @Test func wandaAndSparseGPTPruneTheBlocksOnly() throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let model = Model(transformer: .decoder(decoder))
        for values in [["amount": "0.5"], ["n": "2", "m": "4"]] {
            for name in ["prune-wanda", "prune-sparsegpt"] {
                let method = try Methods.make(name, settings: values)
                let result = try method.compress(model, context: Self.context(windows))
                guard case .decoder(let out)? = result.model.transformer else { Issue.record("not a decoder"); return }
                for layer in out.layers.flatMap(\.linears) {
                    let w = layer.weight.decoded()
                    #expect(w.data.filter { $0 == 0 }.count == w.count / 2, "\(name) \(values) \(layer.name)")
                }
                #expect(out.lmHead.weight.decoded().data.allSatisfy { $0 != 0 })
                #expect(abs(result.extraMetrics["sparsity"]! - 0.5) < 1e-9)
            }
        }
    }

    @Test func wandaOnTheDecoderKeepsTheHighestActivationWeightedScores() throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let method = try Methods.make("prune-wanda", settings: ["amount": "0.25"])
        guard case .decoder(let out)? = try method.compress(Model(transformer: .decoder(decoder)), context: Self.context(windows)).model.transformer else { return }
        let capture = try Self.capturedInputs(out, windows)
        for path in ["model.layers.0.mlp.gate_proj", "model.layers.1.self_attn.o_proj"] {
            let expected = WandaPruning.mask(weight: decoder.linear(at: path)!.weight.decoded(), inputs: capture.inputs(of: path)!, amount: 0.25)
            let mine = out.linear(at: path)!.weight.decoded()
            #expect(zip(mine.data, expected.data).allSatisfy { ($0 != 0) == ($1 != 0) }, "\(path)")
        }
    }

    @Test(arguments: [SmoothingFold.norm, .linear])
    func smoothingFoldedIntoTheModelKeepsItsFunction(_ fold: SmoothingFold) throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let selected = Set(decoder.layers.flatMap { $0.linears.map(\.name) })
        let smoothed = try DecoderSmoothing.smooth(decoder, windows: windows, alpha: 0.5, fold: fold, selected: selected)
        #expect(smoothed.factors.count == (fold == .norm ? 4 : 8))
        #expect(smoothed.factors.values.contains { $0.contains { abs($0 - 1) > 0.05 } })
        let tokens = [5, 17, 200, 33, 1, 99, 42]
        #expect(Self.maxDifference(try smoothed.decoder.logits(tokens: tokens), try decoder.logits(tokens: tokens)) < 1e-4)
    }

    @Test func awqSearchNeverDoesWorseThanItsOwnScaleOne() throws {
        var random = SplitMix64(3)
        let (rows, out, width) = (64, 8, 16)
        // Inputs with a few outlier channels, as AWQ's salient channels.
        let x = Tensor(shape: [rows, width], data: (0..<rows * width).map { i in random.uniform() * (i % width < 2 ? 20 : 1) })
        let w = Tensor(shape: [out, width], data: (0..<out * width).map { _ in random.uniform() })
        let format = QuantFormat(bits: 3, scheme: .affine, signedCodes: false)
        let quantize: (Tensor) throws -> Tensor = { try QuantizedStorage.quantizing($0, format: format, granularity: .group(8)).decoded() }
        let gram = InputStatistics.gram([x]).map { Float($0) }
        let search = try AWQ.search(weights: [w], quantizers: [quantize], gram: gram,
                                    meanAbs: InputStatistics.columnMeanAbs([x]), grid: 20)
        #expect(search.losses[search.best] <= search.losses[0])
        #expect(search.losses.count == 20)
        // The loss through the Gram matrix equals ‖X·Wᵀ − X·W'ᵀ‖² computed directly.
        let s = AWQ.scales(meanAbs: InputStatistics.columnMeanAbs([x]), ratio: 0.5)
        var scaled = w
        for r in 0..<out { for j in 0..<width { scaled.data[r * width + j] *= s[j] } }
        let q = try quantize(scaled)
        var direct = 0.0
        for t in 0..<rows {
            for r in 0..<out {
                var e = 0.0
                for j in 0..<width { e += Double(x.data[t * width + j]) * Double(w.data[r * width + j] - q.data[r * width + j] / s[j]) }
                direct += e * e
            }
        }
        let viaGram = try AWQ.outputError(w, scales: s, gram: gram, quantize: quantize)
        #expect(abs(viaGram - direct) <= 1e-3 * direct)
        // Scale 1 is ratio 0.
        #expect(AWQ.scales(meanAbs: InputStatistics.columnMeanAbs([x]), ratio: 0).allSatisfy { $0 == 1 })
    }

    @Test func awqStaticAndSmoothRunEndToEndOnTheDecoder() throws {
        let decoder = try Self.tinyDecoder()
        let windows = Self.windows()
        let model = Model(transformer: .decoder(decoder))
        let tokens = [5, 17, 200, 33, 1, 99, 42]
        let reference = try decoder.logits(tokens: tokens)
        for (name, values) in [("quant-awq", ["group_size": "16"]), ("quant-static", [:]), ("quant-smooth", [:]),
                               ("quant-smooth", ["fold": "linear"]), ("quant-gptq", ["act_order": "true"])] {
            let method = try Methods.make(name, settings: values)
            let result = try method.compress(model, context: Self.context(windows))
            guard case .decoder(let out)? = result.model.transformer else { Issue.record("not a decoder"); return }
            let encodings = Set(out.layers.flatMap(\.linears).map(\.weight.encodingName))
            #expect(!encodings.contains(DenseWeight.encodingName), "\(name): \(encodings)")
            let difference = Self.maxDifference(try out.logits(tokens: tokens), reference)
            #expect(difference > 0 && difference < 1.5, "\(name) \(values): logits moved by \(difference)")
        }
    }

    @Test func calibratedMethodsRefuseMissingCalibrationAndEncoders() throws {
        let decoder = try Self.tinyDecoder()
        let model = Model(transformer: .decoder(decoder))
        for name in ["prune-wanda", "prune-sparsegpt", "quant-gptq", "quant-awq", "quant-static", "quant-smooth"] {
            let method = try Methods.make(name, settings: [:])
            #expect(throws: ConfigError.self) { try method.validate(model, context: CompressionContext()) }
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-blockwise-bert-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bert = Model(transformer: try TransformerRegistry.load(directory: try TinyTransformers.bert(in: folder)))
        // AWQ has no pre-norm to fold into on BERT; GPTQ runs there (EncoderCalibrationTests).
        #expect(throws: ConfigError.self) { try Methods.make("quant-awq", settings: [:]).validate(bert, context: Self.context(Self.windows())) }
        try Methods.make("quant-gptq", settings: [:]).validate(bert, context: Self.context(Self.windows()))
        // fold=norm on a layer without a norm before it, named explicitly.
        let smooth = try Methods.make("quant-smooth", settings: ["layers": "*.o_proj"])
        #expect(throws: ConfigError.self) { try smooth.validate(model, context: Self.context(Self.windows())) }
        // A group size that does not divide a width (32 and 48 here).
        #expect(throws: ConfigError.self) {
            try Methods.make("quant-gptq", settings: ["granularity": "group", "group_size": "20"]).validate(model, context: Self.context(Self.windows()))
        }
        #expect(throws: ConfigError.self) {
            _ = try Methods.make("quant-gptq", settings: ["granularity": "group", "act_order": "true"])
        }
    }
}

/// GPTQ's act_order and static groups on one matrix against a direct reading of the reference.
@Suite struct GPTQOrderTests {
    @Test func actOrderOnAPermutedProblemEqualsPlainGPTQOnThePermutedColumns() throws {
        var random = SplitMix64(11)
        let (rows, out, width) = (80, 6, 16)
        // Columns of very different scales, so H's diagonal orders them.
        let x = Tensor(shape: [rows, width], data: (0..<rows * width).map { i in random.uniform() * Float(1 + (i % width) % 5) })
        let w = Tensor(shape: [out, width], data: (0..<out * width).map { _ in random.uniform() })
        let format = QuantFormat(bits: 3, scheme: .symmetric, signedCodes: false)
        let ordered = try GPTQ.quantize(w, inputs: x, format: format, granularity: .channel, actOrder: true)
        // The reference: permute columns by decreasing H_jj, run plain GPTQ, permute back.
        let h = SparseGPTPruning.hessian(x)
        let perm = (0..<width).sorted { h[$0 * width + $0] > h[$1 * width + $1] || (h[$0 * width + $0] == h[$1 * width + $1] && $0 < $1) }
        let px = Tensor(shape: [rows, width], data: (0..<rows * width).map { x.data[($0 / width) * width + perm[$0 % width]] })
        let pw = Tensor(shape: [out, width], data: (0..<out * width).map { w.data[($0 / width) * width + perm[$0 % width]] })
        let plain = try GPTQ.quantize(pw, inputs: px, format: format, granularity: .channel)
        let a = ordered.weight.decoded(), b = plain.weight.decoded()
        for r in 0..<out { for p in 0..<width { #expect(abs(a.data[r * width + perm[p]] - b.data[r * width + p]) < 1e-6) } }
        // Static groups fit every group's scale on W itself, before any update.
        let grouped = try GPTQ.quantize(w, inputs: x, format: format, granularity: .group(8), actOrder: true, staticGroups: true)
        let fitted = try QuantParams.fit(w, format: format, granularity: .group(8))
        #expect(grouped.weight.params.scales == fitted.scales)
    }
}
