import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// `quant-qat steps=` on the tiny Llama: the straight-through gradient is the gradient at the
/// quantized weights (taken through quant-weight's own encoding) with clamped codes masked, one
/// step is Adam's first update of it, the end encoding is quant-weight's (or quant-dynamic's) on
/// the final latent weights byte for byte, QAT beats round-to-nearest at the same bits on the
/// training loss, pruned zeros survive, and what cannot be trained is refused in one sentence.
@Suite struct DecoderQATTests {
    static func decoder() throws -> CausalDecoder { try TransformerStructuredPruningTests.decoder() }
    static func text(_ windows: [[Int]]) -> TextWindows { DecoderFineTuneTests.text(windows) }
    static let window = DecoderFineTuneTests.window
    static let windows = [window, Array(window.reversed()), [300, 2, 77, 45, 120, 9, 64, 501, 33, 18, 250, 6]]

    static func qat(_ values: [String: String]) throws -> DecoderQAT {
        let method = try QuantQAT(settings: Settings(method: QuantQAT.name, values: values))
        return try #require(method.decoder)
    }

    /// Mean next-token loss of `model` over `windows` (the loss the gradient pass reports).
    static func loss(_ model: Model, _ windows: [[Int]]) throws -> Double {
        guard case .decoder(let d)? = model.transformer else { throw ConfigError("not a decoder") }
        return try windows.reduce(0) { $0 + (try d.gradients(tokens: $1).loss) } / Double(windows.count)
    }

    @Test func theStraightThroughGradientIsTheGradientAtTheQuantizedWeights() throws {
        let d = try Self.decoder()
        let model = Model(transformer: .decoder(d))
        let method = try Self.qat(["steps": "1", "bits": "3", "granularity": "group", "group_size": "16"])
        let (fq, masks) = try method.fakeQuantized(d, granularity: try method.granularities(model))
        // quant-weight's own encoding of the same weights, decoded by the gradient pass itself.
        let rtn = try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "3", "granularity": "group", "group_size": "16"]))
            .compress(model, context: CompressionContext()).model
        guard case .decoder(let q)? = rtn.transformer else { return }
        var ste = try fq.gradients(tokens: Self.window)
        DecoderQAT.mask(&ste, masks)
        let atQuantized = try q.gradients(tokens: Self.window)
        #expect(masks.count == d.layers.count * 7)
        var clamped = 0
        for (path, mask) in masks {
            let w = d.linear(at: path)!.weight.decoded()
            // By hand: 3-bit symmetric, scale = max|w| of the 16 values / 3.5; a code is clamped
            // exactly when round(w·(1/scale)) is 4 (> qmax = 3; PyTorch multiplies by the inverse
            // scale), which only a group's +max can reach.
            for r in 0..<w.rows {
                for start in stride(from: 0, to: w.columns, by: 16) {
                    let group = (start..<start + 16).map { w.data[r * w.columns + $0] }
                    let scale = max(group.map(abs).max()! / 3.5, Float.ulpOfOne)
                    for (j, v) in group.enumerated() {
                        let outside = (v * (1 / scale)).rounded(.toNearestOrEven) > 3
                        #expect(mask.data[r * w.columns + start + j] == (outside ? 0 : 1), "\(path)[\(r), \(start + j)]")
                        if outside { clamped += 1 }
                    }
                }
            }
            #expect(fq.linear(at: path)!.weight.decoded() == q.linear(at: path)!.weight.decoded(), "\(path)")
            let g = ste.weights[path]!.data, reference = atQuantized.weights[path]!.data
            for i in g.indices {
                #expect(g[i] == (mask.data[i] == 0 ? 0 : reference[i]), "\(path)[\(i)]")
            }
        }
        #expect(clamped > 0)
        #expect(ste.loss == atQuantized.loss)
    }

    @Test func theGradientPassQuantizesADynamicLayersInputsPerToken() throws {
        let d = try Self.decoder()
        let w8a8 = try QuantDynamic(settings: Settings(method: QuantDynamic.name, values: [:]))
            .compress(Model(transformer: .decoder(d)), context: CompressionContext()).model
        guard case .decoder(var q)? = w8a8.transformer else { return }
        let real = try q.referenceNextTokenLoss(Self.window), modelled = try q.gradients(tokens: Self.window).loss
        q.mapLinears { Linear(name: $0.name, weight: DenseWeight($0.weight.decoded()), bias: $0.bias) }
        let floatInputs = try q.gradients(tokens: Self.window).loss
        // The integer kernels agree with x̂·Ŵᵀ to float rounding; float inputs are measurably off.
        #expect(abs(real - modelled) < 2e-5, "forward \(real), gradient pass \(modelled)")
        #expect(abs(real - floatInputs) > 10 * abs(real - modelled), "forward \(real), float inputs \(floatInputs)")
    }

    @Test func oneStepIsAdamsFirstUpdateOfTheStraightThroughGradient() throws {
        let d = try Self.decoder()
        let model = Model(transformer: .decoder(d))
        let method = try Self.qat(["steps": "1", "lr": "0.001", "bits": "4"])
        let (latent, _) = try method.train(model, context: CompressionContext(trainingText: Self.text([Self.window])))
        let (fq, masks) = try method.fakeQuantized(d, granularity: try method.granularities(model))
        var g = try fq.gradients(tokens: Self.window)
        DecoderQAT.mask(&g, masks)
        func expected(_ p: [Float], _ grad: [Float]) -> [Float] { zip(p, grad).map { $0 - Float(0.001) * $1 / (abs($1) + 1e-8) } }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) } }
        for (old, new) in zip(d.linears, latent.linears) where old.name != "lm_head" {
            #expect(close(new.weight.decoded().data, expected(old.weight.decoded().data, g.weights[old.name]!.data)), "\(old.name)")
        }
        #expect(close(latent.embedTokens.weight.data, expected(d.embedTokens.weight.data, g.embedding.data)))
    }

    @Test func theEndEncodingIsQuantWeightsOnTheFinalLatentWeights() throws {
        let d = try Self.decoder()
        let model = Model(transformer: .decoder(d))
        let cases: [([String: String], (Model) throws -> Model)] = [
            (["bits": "4", "granularity": "group", "group_size": "32", "layers": "*.self_attn.*"], { m in
                try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "4", "granularity": "group", "group_size": "32", "layers": "*.self_attn.*"]))
                    .compress(m, context: CompressionContext()).model }),
            (["bits": "3", "scheme": "affine", "layers": "*.mlp.*"], { m in
                try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "3", "scheme": "affine", "layers": "*.mlp.*"]))
                    .compress(m, context: CompressionContext()).model }),
            (["act_bits": "8"], { m in
                try QuantDynamic(settings: Settings(method: QuantDynamic.name, values: [:])).compress(m, context: CompressionContext()).model }),
            (["act_bits": "8", "granularity": "group", "group_size": "16"], { m in
                try QuantDynamic(settings: Settings(method: QuantDynamic.name, values: ["group": "16"])).compress(m, context: CompressionContext()).model }),
        ]
        for (settings, reference) in cases {
            var values = settings
            values["steps"] = "2"; values["lr"] = "0.003"
            let method = try Self.qat(values)
            let context = CompressionContext(trainingText: Self.text(Self.windows))
            let (latent, _) = try method.train(model, context: context)
            let result = try QuantQAT(settings: Settings(method: QuantQAT.name, values: values)).compress(model, context: context)
            let expected = try reference(Model(transformer: .decoder(latent)))
            for (a, b) in zip(result.model.layers, expected.layers) {
                #expect(a.weight.encoded() == b.weight.encoded(), "\(settings) \(a.name): \(a.weight.encodingName) vs \(b.weight.encodingName)")
            }
            #expect(result.model.layers.contains { $0.weight.encodingName != "dense" })
            #expect(result.curves.map(\.key) == ["train_loss", "train_loss"])
        }
    }

    @Test func qatLowersTheTrainLossBelowRoundToNearestAtTheSameBits() throws {
        let model = Model(transformer: .decoder(try Self.decoder()))
        let settings = ["bits": "3", "granularity": "group", "group_size": "16"]
        let rtn = try QuantWeight(settings: Settings(method: QuantWeight.name, values: settings)).compress(model, context: CompressionContext()).model
        var values = settings
        values["steps"] = "24"; values["lr"] = "0.003"; values["batch"] = "3"
        let qat = try QuantQAT(settings: Settings(method: QuantQAT.name, values: values))
            .compress(model, context: CompressionContext(trainingText: Self.text(Self.windows), seed: 7))
        let (before, after) = (try Self.loss(rtn, Self.windows), try Self.loss(qat.model, Self.windows))
        print("tiny Llama 3-bit g16, train loss: RTN \(before), QAT \(after)")
        #expect(after < before - 0.1, "RTN \(before), QAT \(after)")
        #expect(qat.model.layers.filter { $0.name != "lm_head" }.allSatisfy { $0.weight.encodingName == QuantizedWeight.encodingName })
    }

    @Test func prunedZerosStayZeroAndSparseQuantizedWhereSmaller() throws {
        let d = try Self.decoder()
        let pruned = try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: ["amount": "0.7"]))
            .compress(Model(transformer: .decoder(d)), context: CompressionContext()).model
        let result = try QuantQAT(settings: Settings(method: QuantQAT.name, values: ["steps": "3", "lr": "0.003", "bits": "4"]))
            .compress(pruned, context: CompressionContext(trainingText: Self.text(Self.windows)))
        for (old, new) in zip(pruned.layers, result.model.layers) where old.name != "lm_head" {
            let o = old.weight.decoded().data, n = new.weight.decoded().data
            #expect(zip(o, n).allSatisfy { $0 != 0 || $1 == 0 }, "\(old.name) regrew a pruned weight")
            #expect(new.weight.encodingName == SparseQuantizedWeight.encodingName, "\(old.name): \(new.weight.encodingName)")
        }
        #expect(result.notes.contains { $0.contains("pruned weights kept at zero") })
    }

    @Test func whatCannotBeQuantizationAwareTrainedIsRefused() throws {
        let d = try Self.decoder()
        let model = Model(transformer: .decoder(d))
        let text = CompressionContext(trainingText: Self.text([Self.window]))
        func refused(_ values: [String: String], _ m: Model = model, _ context: CompressionContext? = nil, _ fragment: String) {
            do {
                let method = try QuantQAT(settings: Settings(method: QuantQAT.name, values: values))
                try method.validate(m, context: context ?? text)
                Issue.record("accepted \(values)")
            } catch let error as ConfigError {
                #expect(error.description.contains(fragment), "\(error)")
            } catch { Issue.record("\(error)") }
        }
        refused(["steps": "2"], model, CompressionContext(), "--train text:")
        refused(["bits": "1", "steps": "2"], model, nil, "from 2 to 8")
        refused(["steps": "2", "granularity": "group", "group_size": "24"], model, nil, "does not divide")
        refused(["granularity": "group"], model, nil, "give steps too")
        refused(["steps": "2", "act_bits": "4"], model, nil, "act_bits")
        refused(["steps": "2", "act_bits": "8", "bits": "4"], model, nil, "bits=8")
        refused(["steps": "2", "epochs": "3"], model, nil, "MLP")
        refused(["steps": "2", "layers": "lm_head"], model, nil, "tied")
        refused(["steps": "2"], QuantFixtures.teacher, nil, "decoder LM's QAT settings")
        var layerNorm = d
        if case .rms(let n) = layerNorm.norm {
            layerNorm.norm = .layer(LayerNorm(name: n.name, weight: n.weight, bias: [Float](repeating: 0, count: n.weight.count), eps: n.eps))
        }
        refused(["steps": "2"], Model(transformer: .decoder(layerNorm)), nil, "LayerNorm")
        let quantized = try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "4"])).compress(model, context: CompressionContext()).model
        refused(["steps": "2"], quantized, nil, "put quant-qat first")
        #expect(throws: ConfigError.self) { try StageOrder.check([QuantWeight.name, QuantQAT.name]) }
        try StageOrder.check([WandaPruning.name, QuantQAT.name])
        // The MLP's quant-qat is unchanged and still refuses a transformer without steps=.
        #expect(throws: ConfigError.self) { try QuantQAT(settings: Settings(method: QuantQAT.name, values: ["bits": "4"])).checkTransformerSupport() }
        try QuantQAT(settings: Settings(method: QuantQAT.name, values: ["steps": "1"])).checkTransformerSupport()
    }

    @Test func theRecordedConfigCarriesEverySetting() throws {
        let config = try QuantQAT(settings: Settings(method: QuantQAT.name, values: ["steps": "5", "bits": "4", "granularity": "group", "group_size": "32"])).config
        #expect(config == ["steps": .int(5), "lr": .double(1e-4), "batch": .int(1), "optimizer": .string("adam"), "ste": .string("clipped"),
                           "bits": .int(4), "granularity": .string("group"), "group_size": .int(32), "scheme": .string("symmetric"),
                           "act_bits": .int(32), "layers": .string("all")])
        let w8a8 = try QuantQAT(settings: Settings(method: QuantQAT.name, values: ["steps": "5", "act_bits": "8"])).config
        #expect(w8a8["act_bits"] == .int(8) && w8a8["activation_granularity"] == .string("token") && w8a8["granularity"] == .string("channel"))
    }
}
