import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// `finetune` on the tiny Llama: one step is Adam's first update from the loss gradient
/// (p − lr·g/(|g| + ε), checked against `CausalDecoder.gradients`, itself checked against finite
/// differences), pruned zeros survive and stay stored sparse, the loss falls, and what cannot be
/// trained is refused in one sentence.
@Suite struct DecoderFineTuneTests {
    static func decoder() throws -> CausalDecoder { try TransformerStructuredPruningTests.decoder() }

    static func text(_ windows: [[Int]]) -> TextWindows {
        TextWindows(spec: TextSpec(path: "train", tokens: windows.count * windows[0].count, context: windows[0].count), windows: windows)
    }

    static let window = [5, 17, 99, 3, 250, 41, 7, 300, 12, 88, 140, 9]

    static func tune(_ model: Model, _ settings: [String: String], windows: [[Int]] = [window]) throws -> (CausalDecoder, CompressionResult) {
        let method = try FineTune(settings: Settings(method: FineTune.name, values: settings))
        let result = try method.compress(model, context: CompressionContext(trainingText: text(windows)))
        guard case .decoder(let d)? = result.model.transformer else { throw ConfigError("not a decoder") }
        return (d, result)
    }

    @Test func oneStepIsAdamsFirstUpdateOfTheLossGradient() throws {
        let d = try Self.decoder()
        let (tuned, result) = try Self.tune(Model(transformer: .decoder(d)), ["steps": "1", "lr": "0.001"])
        let g = try d.gradients(tokens: Self.window)
        func expected(_ p: [Float], _ grad: [Float]) -> [Float] { zip(p, grad).map { $0 - Float(0.001) * $1 / (abs($1) + 1e-8) } }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) } }
        for (old, new) in zip(d.linears, tuned.linears) where !(d.lmHeadIsTied && old.name == "lm_head") {
            #expect(close(new.weight.decoded().data, expected(old.weight.decoded().data, g.weights[old.name]!.data)), "\(old.name)")
        }
        #expect(close(tuned.embedTokens.weight.data, expected(d.embedTokens.weight.data, g.embedding.data)))
        for (old, new) in zip(d.rmsNorms, tuned.rmsNorms) { #expect(close(new.weight, expected(old.weight, g.norms[old.name]!)), "\(old.name)") }
        #expect(result.curves.count == 1 && abs(result.curves[0].value - g.loss) < 1e-9)
        #expect(result.extraMetrics["finetune_tokens"] == 12)
    }

    @Test func prunedWeightsStayZeroAndSparseAndTheLossFalls() throws {
        let d = try Self.decoder()
        let pruned = try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: ["amount": "0.5"]))
            .compress(Model(transformer: .decoder(d)), context: CompressionContext()).model
        let windows = [Self.window, Array(Self.window.reversed())]
        let (tuned, result) = try Self.tune(pruned, ["steps": "20", "lr": "0.003", "batch": "2"], windows: windows)
        guard case .decoder(let before)? = pruned.transformer else { return }
        for (old, new) in zip(before.linears, tuned.linears) where old.name != "lm_head" {
            let o = old.weight.decoded().data, n = new.weight.decoded().data
            #expect(zip(o, n).allSatisfy { $0 != 0 || $1 == 0 }, "\(old.name) regrew a pruned weight")
            #expect(zip(o, n).contains { $0 != $1 }, "\(old.name) did not train")
            #expect(new.weight.encodingName == old.weight.encodingName, "\(old.name): \(new.weight.encodingName)")
        }
        #expect(result.curves.count == 20)
        #expect(result.curves.last!.value < 0.8 * result.curves.first!.value, "\(result.curves.map(\.value))")
        #expect(result.notes.contains { $0.hasSuffix("pruned weights kept at zero") })
    }

    @Test func whatCannotBeTrainedIsRefused() throws {
        let d = try Self.decoder()
        let model = Model(transformer: .decoder(d))
        let method = try FineTune(settings: Settings(method: FineTune.name, values: [:]))
        #expect(throws: ConfigError.self) { try method.validate(model, context: CompressionContext()) }
        let quantized = try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "4"]))
            .compress(model, context: CompressionContext()).model
        do {
            try method.validate(quantized, context: CompressionContext(trainingText: Self.text([Self.window])))
            Issue.record("trained a quantized model")
        } catch let error as ConfigError {
            #expect(error.description.contains("fine-tune before quantizing"))
        }
        #expect(throws: ConfigError.self) { try StageOrder.check([QuantGPTQ.name, FineTune.name]) }
        // LoRA may follow a weight-only quantizer (its codes stay), not an activation one.
        try StageOrder.check([QuantGPTQ.name, FineTune.name], loraStages: [1])
        #expect(throws: ConfigError.self) { try StageOrder.check([QuantDynamic.name, FineTune.name], loraStages: [1]) }
        #expect(throws: ConfigError.self) { try StageOrder.check([LowRankSVD.name, FineTune.name], loraStages: [1]) }
        #expect(throws: ConfigError.self) { try StageOrder.check([LowRankSVD.name, FineTune.name]) }
        try StageOrder.check([WandaPruning.name, FineTune.name, QuantGPTQ.name])
        for bad in [["steps": "0"], ["lr": "-1"], ["batch": "x"], ["epochs": "2"]] {
            #expect(throws: ConfigError.self) { _ = try FineTune(settings: Settings(method: FineTune.name, values: bad)) }
        }
    }

    /// LoRA, one step: A starts as PEFT's uniform ±1/√in and B at zero, so dA = s·Bᵀ·G = 0 and A
    /// stays, while B takes Adam's first step from dB = s·G·Aᵀ (G = ∂L/∂W, masked); the merged
    /// weight is (W + s·B·A)⊙mask. Layers without an adapter, the norms and the embedding stay.
    @Test func aLoRAStepMovesOnlyTheAdaptersAndMergesThemMasked() throws {
        let d = try Self.decoder()
        let pruned = try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: ["amount": "0.5"]))
            .compress(Model(transformer: .decoder(d)), context: CompressionContext()).model
        guard case .decoder(let before)? = pruned.transformer else { return }
        let paths = ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"]
        let (tuned, result) = try Self.tune(pruned, ["steps": "1", "lr": "0.01", "lora_rank": "2", "lora_alpha": "4",
                                                     "lora_layers": paths.joined(separator: ",")])
        let g = try before.gradients(tokens: Self.window)
        let scale: Float = 4.0 / 2.0
        for (i, path) in paths.enumerated() {
            let w = before.linears.first { $0.name == path }!.weight.decoded()
            let a = LoRAAdapters.initialA(rows: 2, columns: w.columns, seed: 0 &+ UInt64(i))
            #expect(a.allSatisfy { abs($0) <= 1 / Float(w.columns).squareRoot() })
            var gw = g.weights[path]!
            for k in 0..<gw.count { gw.data[k] *= scale * (w.data[k] == 0 ? 0 : 1) }
            let dB = matmul(gw, Tensor(shape: [2, w.columns], data: a), transposeB: true)
            let b = dB.data.map { -Float(0.01) * $0 / (abs($0) + 1e-8) }
            let ba = matmul(Tensor(shape: [w.rows, 2], data: b), Tensor(shape: [2, w.columns], data: a))
            let expected = (0..<w.count).map { k in w.data[k] == 0 ? 0 : w.data[k] + scale * ba.data[k] }
            let got = tuned.linears.first { $0.name == path }!.weight.decoded().data
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) }, "\(path)")
            #expect(zip(got, w.data).contains { $0 != $1 })
        }
        for (old, new) in zip(before.linears, tuned.linears) where !paths.contains(old.name) {
            #expect(new.weight.decoded() == old.weight.decoded(), "\(old.name) moved without an adapter")
        }
        #expect(tuned.embedTokens.weight == before.embedTokens.weight)
        #expect(zip(before.rmsNorms, tuned.rmsNorms).allSatisfy { $0.weight == $1.weight })
        #expect(result.extraMetrics["lora_parameters"] == Double(2 * (32 + 32) + 2 * (48 + 32)))
        #expect(result.notes.first?.hasPrefix("LoRA rank 2, alpha 4 on 2 layers: 288 trainable parameters") == true, "\(result.notes)")
    }

    /// The adapters' gradients that the frozen pass forms from each layer's output gradient and
    /// input equal the projections of the full weight gradient — dB = s·G·Aᵀ, dA = s·Bᵀ·G with
    /// G = ∂L/∂W_eff (masked on a pruned layer) — with B away from zero, so both factors move;
    /// the frozen pass forms no base gradient and gives the same loss.
    @Test func loRAGradientsFromLayerOutputsEqualTheFullGradientsProjections() throws {
        let paths = ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"]
        for prune in [false, true] {
            var d = try Self.decoder()
            if prune {
                let m = try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: ["amount": "0.5"]))
                    .compress(Model(transformer: .decoder(d)), context: CompressionContext()).model
                guard case .decoder(let p)? = m.transformer else { return }
                d = p
            }
            var adapters = LoRAAdapters(d, paths: paths, rank: 2, alpha: 4, seed: 7)
            var random = SeededRandom(seed: 3)
            for p in paths {
                for i in adapters.adapters[p]!.b.indices { adapters.adapters[p]!.b[i] = Float(random.nextDouble() - 0.5) / 10 }
                #expect(adapters.adapters[p]!.masked == prune)
            }
            let merged = adapters.merged(d, sparse: false)
            let full = try merged.gradients(tokens: Self.window)
            let sums = LoRAAdapters.Gradients()
            let frozen = try merged.gradients(tokens: Self.window, request: .frozen { adapters.accumulate($0, $1, $2, into: sums) })
            #expect(frozen.loss == full.loss)
            #expect(frozen.weights.isEmpty && frozen.biases.isEmpty && frozen.norms.isEmpty && frozen.embedding.count == 0)
            // A step's decoder merges each adapted layer only while a pass uses it: the same loss
            // and adapter gradients, and its forward (x·Wᵀ + s·(x·Aᵀ)·Bᵀ when unmasked) is the merged one's.
            let training = adapters.training(d), lazySums = LoRAAdapters.Gradients()
            let lazy = try training.gradients(tokens: Self.window, request: .frozen { adapters.accumulate($0, $1, $2, into: lazySums) })
            #expect(lazy.loss == frozen.loss)
            for p in paths {
                #expect(lazySums.a[p]!.data == sums.a[p]!.data && lazySums.b[p]!.data == sums.b[p]!.data)
                let lazyLayer = training.linears.first { $0.name == p }!.weight, mergedLayer = merged.linears.first { $0.name == p }!.weight
                let x = Tensor(shape: [3, lazyLayer.inFeatures], data: (0..<3 * lazyLayer.inFeatures).map { _ in Float(random.nextDouble() - 0.5) })
                let got = lazyLayer.forward(x), want = mergedLayer.forward(x)
                let peak = want.data.map(abs).max()!
                #expect(zip(got.data, want.data).allSatisfy { abs($0 - $1) <= 1e-5 * peak }, "\(p), pruned \(prune)")
            }
            for p in paths {
                let x = adapters.adapters[p]!
                var g = full.weights[p]!
                for k in 0..<g.count { g.data[k] *= x.masked && x.base.data[k] == 0 ? 0 : 2 }   // s = alpha / rank = 2
                let dB = matmul(g, Tensor(shape: [2, g.columns], data: x.a), transposeB: true)
                let dA = matmul(Tensor(shape: [g.rows, 2], data: x.b), g, transposeA: true)
                for (got, want) in [(sums.b[p]!, dB), (sums.a[p]!, dA)] {
                    let peak = want.data.map(abs).max()!
                    #expect(peak > 0)
                    #expect(zip(got.data, want.data).allSatisfy { abs($0 - $1) <= 1e-4 * peak }, "\(p), pruned \(prune)")
                }
            }
        }
    }

    /// QLoRA's case: LoRA on a weight-only quantized decoder keeps every code exactly and stores
    /// the adapters beside each adapted layer (`LoRAAdaptedWeight`), executed next to the
    /// quantized kernel; the loss falls as on a float base.
    @Test func loRABesideAQuantizedBaseKeepsItsCodes() throws {
        let quantized = try QuantWeight(settings: Settings(method: QuantWeight.name, values: ["bits": "4", "granularity": "group", "group_size": "16"]))
            .compress(Model(transformer: .decoder(try Self.decoder())), context: CompressionContext()).model
        guard case .decoder(let before)? = quantized.transformer else { return }
        let (tuned, result) = try Self.tune(quantized, ["steps": "25", "lr": "0.01", "lora_rank": "4"])
        #expect(result.curves.last!.value < 0.9 * result.curves.first!.value, "\(result.curves.map(\.value))")
        #expect(result.notes.first?.contains("kept beside the quantized weights") == true, "\(result.notes)")
        for (old, new) in zip(before.linears, tuned.linears) where old.name.contains(".layers.") {
            guard let lora = new.weight as? LoRAAdaptedWeight else { Issue.record("\(new.name) is \(new.weight.encodingName)"); continue }
            #expect(lora.base.encoded() == old.weight.encoded(), "\(old.name)'s codes moved")
            #expect(lora.rank == 4 && lora.b.data.contains { $0 != 0 })
        }
        #expect(tuned.embedTokens.weight == before.embedTokens.weight)
        // The stored model is its own: each adapted layer holds its base's bytes plus r(in + out) floats.
        let extra = tuned.linears.reduce(0) { $0 + $1.weight.encoded().payload.count } - before.linears.reduce(0) { $0 + $1.weight.encoded().payload.count }
        #expect(extra == 4 * Int(result.extraMetrics["lora_parameters"]!))
        // Full fine-tuning of the same model is still refused, and says LoRA would train beside it.
        let full = try FineTune(settings: Settings(method: FineTune.name, values: [:]))
        do {
            try full.validate(quantized, context: CompressionContext(trainingText: Self.text([Self.window])))
            Issue.record("fully fine-tuned a quantized model")
        } catch let error as ConfigError {
            #expect(error.description.contains("lora_rank"))
        }
    }

    @Test func loRATrainsTheLossDownAndRefusesAFullRank() throws {
        let d = try Self.decoder()
        let (_, result) = try Self.tune(Model(transformer: .decoder(d)), ["steps": "25", "lr": "0.01", "lora_rank": "4"])
        #expect(result.curves.last!.value < 0.9 * result.curves.first!.value, "\(result.curves.map(\.value))")
        let method = try FineTune(settings: Settings(method: FineTune.name, values: ["lora_rank": "32"]))
        #expect(throws: ConfigError.self) {
            try method.validate(Model(transformer: .decoder(d)), context: CompressionContext(trainingText: Self.text([Self.window])))
        }
        #expect(throws: ConfigError.self) { _ = try FineTune(settings: Settings(method: FineTune.name, values: ["lora_alpha": "8"])) }
        let unknown = try FineTune(settings: Settings(method: FineTune.name, values: ["lora_rank": "2", "lora_layers": "*.nope"]))
        #expect(throws: ConfigError.self) {
            try unknown.validate(Model(transformer: .decoder(d)), context: CompressionContext(trainingText: Self.text([Self.window])))
        }
    }
}
