import Foundation
import PareCompress
import PareNN
import PareTensor
import PareTestSupport
import Testing

/// Block-by-block calibration of a BERT encoder (post-norm): checked, as the decoder's is,
/// against the compressed model run end to end with an input observer.
@Suite struct EncoderCalibrationTests {
    static func tinyEncoder() throws -> BertModel {
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-encoder-calib-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case .encoder(let e) = try TransformerRegistry.load(directory: try TinyTransformers.bert(in: folder)) else {
            preconditionFailure("the tiny bert is an encoder")
        }
        return e
    }

    /// Sentences of 5…12 token ids, enough rows (~600) to fill two packs of 512.
    static func sentences(count: Int = 70, seed: UInt64 = 2) -> TextWindows {
        var random = SplitMix64(seed)
        let windows = (0..<count).map { i in (0..<(5 + i % 8)).map { _ in Int(random.next() % 60) } }
        let longest = windows.map(\.count).max()!
        return TextWindows(spec: TextSpec(path: "calib.tsv", tokens: windows.reduce(0) { $0 + $1.count }, context: longest),
                           name: "calib.tsv", windows: windows)
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        return zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Every Linear's inputs over the sentences in `encoder`, run end to end in the packs the
    /// calibration uses (the same GEMM shapes, so the same float results).
    static func capturedInputs(_ encoder: BertModel, _ windows: TextWindows) throws -> LinearInputCapture {
        let capture = LinearInputCapture()
        for pack in BertModel.calibrationPacks(windows) { _ = try encoder.hiddenStates(batch: pack, observer: capture.observer) }
        return capture
    }

    @Test func onePackRunEqualsItsSentencesRunAlone() throws {
        let encoder = try Self.tinyEncoder()
        let pack = Array(Self.sentences().windows.prefix(5))
        let packed = try encoder.hiddenStates(batch: pack)
        for (sentence, states) in zip(pack, packed) {
            #expect(Self.maxDifference(states, try encoder.hiddenStates(tokens: sentence)) < 1e-5)
        }
    }

    static func compress(_ name: String, _ values: [String: String], _ encoder: BertModel, _ windows: TextWindows) throws -> BertModel {
        let method = try Methods.make(name, settings: values)
        let model = Model(transformer: .encoder(encoder))
        let context = CompressionContext(calibrationText: windows)
        try method.validate(model, context: context)
        guard case .encoder(let out)? = try method.compress(model, context: context).model.transformer else {
            preconditionFailure("\(name) did not return an encoder")
        }
        return out
    }

    @Test func stagesInOrderEqualTheBlockForwardOfPackedSentences() throws {
        let encoder = try Self.tinyEncoder()
        let (x, segments) = try encoder.blockInput(batch: [[2, 14, 15, 9, 3], [2, 40, 41, 3], [2, 7, 8, 9, 10, 11, 3]])
        #expect(segments == [0..<5, 5..<9, 9..<16])
        let layer = encoder.layers[1]
        var state = EncoderBlockState(input: x, segments: segments)
        var current = layer.stageInput(.attentionInput, &state)
        for stage in BlockStage.allCases { current = layer.advance(from: stage, current, &state) }
        #expect(Self.maxDifference(current, layer.forward(x, segments: segments)) < 1e-5)
        var fresh = EncoderBlockState(input: x, segments: segments)
        var stepped = EncoderBlockState(input: x, segments: segments)
        var s = layer.stageInput(.attentionInput, &stepped)
        for stage in [BlockStage.attentionInput, .attentionOutput, .mlpInput] { s = layer.advance(from: stage, s, &stepped) }
        #expect(Self.maxDifference(layer.stageInput(.mlpOutput, &fresh), s) < 1e-5)
    }

    @Test func bertLayersFallIntoTheFourGroups() {
        let p = "encoder.layer.3"
        #expect(BlockStage.attentionInput.contains("\(p).attention.self.query") && BlockStage.attentionInput.contains("\(p).attention.self.value"))
        #expect(BlockStage.attentionOutput.contains("\(p).attention.output.dense"))
        #expect(!BlockStage.mlpOutput.contains("\(p).attention.output.dense"))
        #expect(BlockStage.mlpInput.contains("\(p).intermediate.dense"))
        #expect(BlockStage.mlpOutput.contains("\(p).output.dense"))
    }

    @Test func groupInputsEqualThoseOfTheCompressedEncoderRunEndToEnd() throws {
        let encoder = try Self.tinyEncoder()
        let windows = Self.sentences()
        let selected = encoder.linears.map(\.name)
        let (out, seen, groups, packs) = try BlockwiseCalibrationTests.threeBitPass(encoder, windows, selected: selected)
        #expect(packs == 2)
        #expect(groups.count == 8)
        #expect(groups[0] == ["encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key", "encoder.layer.0.attention.self.value"])
        #expect(groups[1] == ["encoder.layer.0.attention.output.dense"])
        #expect(groups[2] == ["encoder.layer.0.intermediate.dense"])
        #expect(groups[3] == ["encoder.layer.0.output.dense"])
        let capture = try Self.capturedInputs(out, windows)
        for path in selected {
            let end = try #require(capture.inputs(of: path))
            #expect(Self.maxDifference(seen[path]!, end) < 1e-4, "inputs of \(path)")
        }
        // The 3-bit encoder really differs from the original, so the check above is not vacuous.
        let original = try Self.capturedInputs(encoder, windows)
        #expect(Self.maxDifference(original.inputs(of: "encoder.layer.1.output.dense")!, capture.inputs(of: "encoder.layer.1.output.dense")!) > 1e-3)
    }

    @Test func wandaOnTheEncoderKeepsTheHighestActivationWeightedScores() throws {
        let encoder = try Self.tinyEncoder()
        let windows = Self.sentences()
        let out = try Self.compress("prune-wanda", ["amount": "0.5"], encoder, windows)
        let capture = try Self.capturedInputs(out, windows)
        for layer in out.linears {
            let w = layer.weight.decoded()
            #expect(w.data.filter { $0 == 0 }.count == w.count / 2, "\(layer.name)")
            let expected = WandaPruning.mask(weight: encoder.linear(at: layer.name)!.weight.decoded(), inputs: capture.inputs(of: layer.name)!, amount: 0.5)
            #expect(zip(w.data, expected.data).allSatisfy { ($0 != 0) == ($1 != 0) }, "\(layer.name)")
        }
        // Embeddings and norms are untouched.
        #expect(out.wordEmbeddings.weight.data == encoder.wordEmbeddings.weight.data)
    }

    @Test func gptqOnTheEncoderEqualsPerLayerGPTQOnTheInputsItSees() throws {
        let encoder = try Self.tinyEncoder()
        let windows = Self.sentences()
        let out = try Self.compress("quant-gptq", ["bits": "3", "granularity": "group", "group_size": "16"], encoder, windows)
        let capture = try Self.capturedInputs(out, windows)
        for path in ["encoder.layer.0.attention.self.key", "encoder.layer.1.attention.output.dense", "encoder.layer.1.output.dense"] {
            // The Gram matrix summed per pack, as the calibration sums it (GPTQ flips near-tied
            // roundings on any change of the Hessian's last bits).
            let perPack = capture.captured[path]!
            #expect(perPack.count == 2)
            var h = InputStatistics.gram(perPack)
            let rows = perPack.reduce(0) { $0 + $1.rows }
            for i in h.indices { h[i] *= 2 / Double(rows) }
            let alone = try GPTQ.quantize(encoder.linear(at: path)!.weight.decoded(), hessian: h,
                                          format: QuantFormat(bits: 3, scheme: .symmetric, signedCodes: false), granularity: .group(16))
            let mine = out.linear(at: path)!.weight.decoded()
            #expect(Self.maxDifference(mine, alone.weight.decoded()) < 1e-4, "\(path)")
        }
    }

    @Test func sparseGPTAndStaticW8A8RunOnTheEncoder() throws {
        let encoder = try Self.tinyEncoder()
        let windows = Self.sentences()
        let sparse = try Self.compress("prune-sparsegpt", ["n": "2", "m": "4"], encoder, windows)
        for layer in sparse.linears {
            let w = layer.weight.decoded().data
            for g in stride(from: 0, to: w.count, by: 4) { #expect(w[g..<g + 4].filter { $0 == 0 }.count == 2, "\(layer.name)") }
        }
        let quantized = try Self.compress("quant-static", [:], encoder, windows)
        #expect(Set(quantized.linears.map(\.weight.encodingName)).count == 1)
        #expect(!quantized.linears.contains { $0.weight.encodingName == "dense" })
        // Static W8A8 keeps the encoder's function to int8 error.
        let tokens = [2, 14, 15, 9, 3]
        let a = try encoder.sentenceEmbedding(tokens: tokens), b = try quantized.sentenceEmbedding(tokens: tokens)
        #expect(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } > 0.98)
    }

    @Test func foldingMethodsAndMissingSentencesAreRefusedOnTheEncoder() throws {
        let encoder = try Self.tinyEncoder()
        let model = Model(transformer: .encoder(encoder))
        for name in ["quant-smooth", "quant-awq"] {
            let method = try Methods.make(name, settings: [:])
            #expect { try method.validate(model, context: CompressionContext(calibrationText: Self.sentences())) } throws: { error in
                "\(error)".contains("post-norm") && "\(error)".contains(name)
            }
        }
        let wanda = try Methods.make("prune-wanda", settings: [:])
        #expect { try wanda.validate(model, context: CompressionContext()) } throws: { error in
            "\(error)".contains("--calib sentences:FILE")
        }
    }
}
