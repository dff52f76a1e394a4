import Foundation
import Testing
import PareNN
import PareTensor
@testable import PareCompress
import PareTestSupport

/// The tiny random Llama of PareTestSupport as a decoder (vocab 540, hidden 32, 2 blocks).
func tinyDecoder(tied: Bool = true) throws -> CausalDecoder {
    let folder = FileManager.default.temporaryDirectory.appending(path: "pare-lowrank-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    guard case .decoder(let d) = try HuggingFaceDirectory.load(try TinyTransformers.llama(in: folder, tied: tied)).model else {
        throw ConfigError("the tiny Llama did not load as a decoder")
    }
    return d
}

/// Seeded calibration windows of token ids (no tokenizer needed).
func tinyWindows(count: Int = 3, length: Int = 12, vocabulary: Int = 540) -> TextWindows {
    var rng = SplitMix64(77)
    let windows = (0..<count).map { _ in (0..<length).map { _ in Int(rng.next() % UInt64(vocabulary)) } }
    return TextWindows(spec: TextSpec(path: "calib", tokens: count * length, context: length), windows: windows)
}

func lowRank(_ settings: [String: String], _ model: Model, context: CompressionContext = CompressionContext()) throws -> CompressionResult {
    try Methods.make("lowrank-svd", settings: settings).compress(model, context: context)
}

@Suite struct LowRankEmbeddingTests {
    @Test func theEmbeddingIsTwoFactorsAndATiedHeadRunsOnThem() throws {
        let decoder = try tinyDecoder()
        let original = decoder.embedTokens.weight
        let result = try lowRank(["embedding": "only", "rank": "4"], Model(transformer: .decoder(decoder)))
        guard case .decoder(let d)? = result.model.transformer else { Issue.record("not a decoder"); return }
        let factors = try #require(d.embedTokens.factors)
        #expect(factors.left.shape == [540, 4] && factors.right.shape == [4, 32])
        // embedding=only leaves every block Linear dense.
        #expect(d.layers.flatMap(\.linears).allSatisfy { $0.weight is DenseWeight })

        // A lookup is row id of A times B (explicit product in Double as the reference).
        let product = explicitProduct(factors.left, factors.right)
        let ids = [0, 7, 539, 7]
        let rows = try d.embedTokens(ids)
        for (r, id) in ids.enumerated() {
            for j in 0..<32 { #expect(abs(rows[r, j] - product[id, j]) < 1e-5) }
        }
        // Eckart–Young: ‖E − A·B‖_F is the energy of the dropped singular values of E.
        let svd = SVD(original)
        let dropped = svd.singularValues[4...].reduce(0) { $0 + $1 * $1 }.squareRoot()
        let error = zip(product.data, original.data).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        #expect(abs(error - dropped) / dropped < 1e-4)

        // The tied head reads the same factors: logits = (h·Bᵀ)·Aᵀ = h·(A·B)ᵀ.
        #expect(Model(transformer: .decoder(d)).transformer!.sharesEmbeddingWithLMHead)
        let head = try #require(d.lmHead.weight as? LowRankWeight)
        #expect(head.left == factors.left && head.right == factors.right)
        var dense = d   // the same model with the product as a plain dense table and head
        dense.embedTokens = Embedding(name: d.embedTokens.name, weight: product)
        dense.lmHead = Linear(name: "lm_head", weight: DenseWeight(product), bias: nil)
        let tokens = [3, 17, 200, 5, 9]
        let a = try d.logits(tokens: tokens), b = try dense.logits(tokens: tokens)
        #expect(zip(a.data, b.data).allSatisfy { abs($0 - $1) < 1e-4 })

        // Counted once, as its factors: k·(vocab + hidden) instead of vocab·hidden.
        let t = result.model.transformer!
        let norms = t.nonLinearTensors.filter { $0.name != "model.embed_tokens.weight" }.reduce(0) { $0 + $1.tensor.count }
        #expect(t.nonLinearParameterCount == norms + 4 * (540 + 32))
        #expect(result.notes.contains { $0.contains("lm_head is tied") })
    }

    @Test func anUntiedHeadStaysItsOwnLayerAndEmbeddingTrueAlsoFactorsTheBlocks() throws {
        let decoder = try tinyDecoder(tied: false)
        let head = decoder.lmHead.weight.decoded()
        let result = try lowRank(["embedding": "true", "rank": "4"], Model(transformer: .decoder(decoder)))
        guard case .decoder(let d)? = result.model.transformer else { Issue.record("not a decoder"); return }
        #expect(d.embedTokens.factors?.rank == 4)
        #expect((d.lmHead.weight as? DenseWeight)?.weight == head)
        #expect(d.layers.flatMap(\.linears).allSatisfy { ($0.weight as? LowRankWeight)?.rank == 4 })
        #expect(result.extraMetrics["layers_factored"] == 15)   // 14 block Linears + the embedding
    }

    @Test func badEmbeddingSettingsAreOneSentence() throws {
        #expect(throws: ConfigError.self) { try Methods.make("lowrank-svd", settings: ["embedding": "yes"]) }
        #expect(throws: ConfigError.self) { try Methods.make("lowrank-svd", settings: ["embedding": "only", "layers": "fc1"]) }
        // On an MLP there is no token embedding.
        let mlp = smallModel()
        do {
            _ = try lowRank(["embedding": "true"], mlp)
            Issue.record("embedding=true on an MLP was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("token embedding") && error.description.contains("MLP"))
        }
        // rank=k beyond min(vocab, hidden) names the embedding.
        let decoder = try tinyDecoder()
        #expect(throws: ConfigError.self) { try lowRank(["embedding": "only", "rank": "33"], Model(transformer: .decoder(decoder))) }
        // embedding=only checks the rank against the embedding alone (k_proj is [16, 32]; 20 fits the table).
        let only = try lowRank(["embedding": "only", "rank": "20"], Model(transformer: .decoder(decoder)))
        #expect(only.model.transformer?.tokenEmbeddingFactors?.factors.rank == 20)
    }
}

@Suite struct ActivationAwareSVDTests {
    /// W [5, 4], s and k = 2: numpy's `(U[:, :k]·S[:k]) @ Vt[:k] / s` of `svd(W * s)`, computed once.
    @Test func matchesNumpyOnAHandCase() {
        let w = Tensor(shape: [5, 4], data: [0.5, -1.0, 0.25, 2.0, 1.5, 0.75, -0.5, 0.0, -1.0, 2.0, 1.0, -0.25,
                                             0.0, -0.5, 1.25, 1.0, 2.0, 0.25, -1.5, 0.5])
        let s: [Float] = [4, 1, 0.25, 2]
        let numpy: [Float] = [5.02667791e-01, -1.33267043e+00, 4.52531741e-01, 1.93934492e+00,
                              1.50143523e+00, 2.15019483e-01, -1.15627963e+00, -9.10016147e-02,
                              -9.90783200e-01, 2.93750522e-01, 5.02611202e-01, -5.50865546e-01,
                              -1.22378646e-03, -6.92685574e-01, 4.14895708e-01, 9.71211363e-01,
                              2.00281326e+00, -1.09643025e-01, -1.30540936e+00, 4.34589322e-01]
        let factors = ActivationAwareSVD.factors(svd: ActivationAwareSVD.scaledSVD(w, scales: s), rank: 2, scales: s)
        #expect(zip(factors.decoded().data, numpy).allSatisfy { abs($0 - $1) < 1e-5 })
        // With s = 1 it is plain SVD (numpy's rank-2 truncation of W).
        let plain: [Float] = [0.48884968, -1.51113191, 0.20177672, 1.49274073, 1.09309949,
                              0.31130673, -1.01529593, -0.24119091, -1.26541564, 1.04217665,
                              0.61798651, -1.08106705, -0.43508961, -0.88109456, 0.70501769,
                              0.83036171, 1.96180533, -0.08053885, -1.56814047, 0.18710763]
        let ones = [Float](repeating: 1, count: 4)
        let unscaled = ActivationAwareSVD.factors(svd: ActivationAwareSVD.scaledSVD(w, scales: ones), rank: 2, scales: ones)
        #expect(zip(unscaled.decoded().data, plain).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(LowRankWeight(factoring: w, rank: 2).decoded().data, plain).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// ‖X·(W − W_k)ᵀ‖_F, in Double.
    func outputError(_ x: Tensor, _ w: Tensor, _ approx: Tensor) -> Double {
        let diff = Tensor(shape: w.shape, data: zip(w.data, approx.data).map { $0 - $1 })
        return explicitLinear(x, diff).reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    @Test func onAnMLPItMatchesPlainSVDAtAlphaZeroAndBeatsItOnTheActivationWeightedError() throws {
        // Calibration inputs whose features differ in scale by decades, as LLM activations do.
        let model = smallModel()
        var x = lrMatrix(200, 8, seed: 21)
        let columnScale: [Float] = [8, 0.05, 3, 0.1, 1, 0.02, 5, 0.3]
        for r in 0..<200 { for j in 0..<8 { x.data[r * 8 + j] *= columnScale[j] } }
        let calibration = Dataset(name: "calib", features: x, labels: [Int](repeating: 0, count: 200), classCount: 4)
        let context = CompressionContext(calibration: calibration)
        let w = model.layers[0].weight.decoded()

        let plain = try lowRank(["rank": "3", "layers": "fc1"], model)
        let flat = try lowRank(["rank": "3", "layers": "fc1", "activation_aware": "true", "alpha": "0"], model, context: context)
        let aware = try lowRank(["rank": "3", "layers": "fc1", "activation_aware": "true", "alpha": "1"], model, context: context)
        let p = plain.model.layers[0].weight.decoded(), f = flat.model.layers[0].weight.decoded()
        let a = aware.model.layers[0].weight.decoded()
        // alpha = 0: s = 1 + 1e-6, plain SVD to float error.
        #expect(zip(p.data, f.data).allSatisfy { abs($0 - $1) < 1e-4 })
        // The activation-weighted error is lower; the plain Frobenius error is not (what ASVD trades).
        let ePlain = outputError(x, w, p), eAware = outputError(x, w, a)
        #expect(eAware < ePlain)
        #expect(relative(a, w) >= relative(p, w) - 1e-6)
        #expect(aware.model.layers[0].weight is LowRankWeight)
        // Without --calib it says what to pass.
        #expect(throws: ConfigError.self) { try lowRank(["activation_aware": "true"], model) }
        #expect(throws: ConfigError.self) { try Methods.make("lowrank-svd", settings: ["alpha": "0.5"]) }
    }

    @Test func onADecoderEachLayerIsScaledByTheInputsTheFactoredModelFeedsIt() throws {
        let decoder = try tinyDecoder()
        let windows = tinyWindows()
        let context = CompressionContext(calibrationText: windows)
        let result = try lowRank(["rank": "4", "activation_aware": "true", "alpha": "0.5"],
                                 Model(transformer: .decoder(decoder)), context: context)
        guard case .decoder(let d)? = result.model.transformer else { Issue.record("not a decoder"); return }
        #expect(d.layers.flatMap(\.linears).allSatisfy { ($0.weight as? LowRankWeight)?.rank == 4 })
        // The reference: capture each layer's input on the FINAL model (whose earlier layers
        // are factored — exactly what the layer saw during calibration; its own factors do not
        // change its input), scale by (mean|X|)^0.5, and factor the original weight.
        func reference(_ path: String, inputsFrom source: CausalDecoder) throws -> Tensor {
            let capture = LinearInputCapture(paths: [path])
            for w in windows.windows { _ = try source.hiddenStates(tokens: w, observer: capture.observer) }
            let inputs = try #require(capture.captured[path])
            var meanAbs = [Double](repeating: 0, count: inputs[0].columns), rows = 0
            for x in inputs {
                rows += x.rows
                for r in 0..<x.rows { for j in 0..<x.columns { meanAbs[j] += Double(abs(x[r, j])) } }
            }
            let s = meanAbs.map { Float(($0 / Double(rows)).squareRoot() + 1e-6) }
            let original = decoder.linears.first { $0.name == path }!.weight.decoded()
            return ActivationAwareSVD.factors(svd: ActivationAwareSVD.scaledSVD(original, scales: s), rank: 4, scales: s).decoded()
        }
        for path in ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj",
                     "model.layers.1.self_attn.k_proj", "model.layers.1.mlp.up_proj", "model.layers.1.self_attn.o_proj"] {
            let got = d.linears.first { $0.name == path }!.weight.decoded()
            #expect(relative(got, try reference(path, inputsFrom: d)) < 1e-3, "\(path)")
        }
        // The check can tell: block 1 scaled by the UNcompressed model's inputs is another result.
        let path = "model.layers.1.mlp.up_proj"
        #expect(relative(d.linears.first { $0.name == path }!.weight.decoded(), try reference(path, inputsFrom: decoder)) > 1e-2)
        // lm_head is outside the blocks: refused with one sentence.
        #expect(throws: ConfigError.self) {
            try lowRank(["rank": "4", "activation_aware": "true", "layers": "lm_head"], Model(transformer: .decoder(decoder)), context: context)
        }
        #expect(throws: ConfigError.self) {
            try lowRank(["rank": "4", "activation_aware": "true"], Model(transformer: .decoder(decoder)))
        }
    }
}
