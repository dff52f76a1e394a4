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
        #expect(throws: ConfigError.self) { try StageOrder.check([LowRankSVD.name, FineTune.name]) }
        try StageOrder.check([WandaPruning.name, FineTune.name, QuantGPTQ.name])
        for bad in [["steps": "0"], ["lr": "-1"], ["batch": "x"], ["epochs": "2"]] {
            #expect(throws: ConfigError.self) { _ = try FineTune(settings: Settings(method: FineTune.name, values: bad)) }
        }
    }
}
