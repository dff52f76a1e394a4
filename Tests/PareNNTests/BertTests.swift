import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The BERT encoder against numpy forward passes of a tiny random checkpoint.
@Suite struct BertTests {
    @Test func hiddenStatesAndEmbeddingsMatchNumpy() throws {
        let model = try TransformerFixtures.bert()
        let ref = try TransformerFixtures.reference("bert_tiny")
        for s in 0..<3 {
            let tokens = try TransformerFixtures.tokens(ref, "tokens.\(s)")
            expectClose(try model.hiddenStates(tokens: tokens), try ref.tensor("hidden.\(s)"), "hidden states \(s)")
            let e = try model.sentenceEmbedding(tokens: tokens)
            expectClose(Tensor(shape: [e.count], data: e), try ref.tensor("embedding.\(s)"), "embedding \(s)")
        }
    }

    @Test func tokenTypesAreAdded() throws {
        let model = try TransformerFixtures.bert()
        let ref = try TransformerFixtures.reference("bert_tiny")
        let states = try model.hiddenStates(tokens: try TransformerFixtures.tokens(ref, "tokens.0"),
                                            tokenTypes: try TransformerFixtures.tokens(ref, "types.0"))
        expectClose(states, try ref.tensor("hidden_typed.0"), "typed hidden states")
    }

    @Test func packedBatchEqualsSequencesOneByOne() throws {
        let model = try TransformerFixtures.bert()
        let ref = try TransformerFixtures.reference("bert_tiny")
        let batch = try (0..<3).map { try TransformerFixtures.tokens(ref, "tokens.\($0)") }
        let states = try model.hiddenStates(batch: batch)
        let embeddings = try model.sentenceEmbeddings(batch: batch)
        for s in 0..<3 {
            expectClose(states[s], try ref.tensor("hidden.\(s)"), "batched hidden states \(s)")
            expectClose(Tensor(shape: [embeddings[s].count], data: embeddings[s]), try ref.tensor("embedding.\(s)"),
                        "batched embedding \(s)")
        }
    }

    @Test func linearInputHookSeesTheLayersInputs() throws {
        let model = try TransformerFixtures.bert()
        let ref = try TransformerFixtures.reference("bert_tiny")
        let path = "encoder.layer.1.output.dense"
        let capture = LinearInputCapture(paths: [path])
        _ = try model.hiddenStates(tokens: try TransformerFixtures.tokens(ref, "tokens.0"), observer: capture.observer)
        expectClose(try #require(capture.inputs(of: path)), try ref.tensor("input.\(path)"), "input of \(path)")
    }

    @Test func modulePathsAreTheCheckpointsNames() throws {
        let model = try TransformerFixtures.bert()
        #expect(model.linearPaths.count == 2 * 6)
        #expect(Array(model.linearPaths.prefix(6)) == [
            "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
            "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.output.dense",
            "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense"])
        #expect(model.layers[1].outputNorm.name == "encoder.layer.1.output.LayerNorm")
        #expect(model.config.hiddenSize == 32 && model.config.layerNormEps == 1e-12)
    }

    @Test func prefixedAndGammaBetaCheckpointsLoad() throws {
        let dir = TransformerFixtures.directory("bert_tiny")
        let json = try Data(contentsOf: dir.appendingPathComponent("config.json"))
        let file = try SafetensorsFile.read(contentsOf: dir.appendingPathComponent("model.safetensors"))
        var renamed: [String: Tensor] = [:]
        for (name, array) in file.tensors {
            let n = name.replacingOccurrences(of: "LayerNorm.weight", with: "LayerNorm.gamma")
                .replacingOccurrences(of: "LayerNorm.bias", with: "LayerNorm.beta")
            renamed["bert." + n] = array.tensor
        }
        guard case .encoder(let model) = try TransformerRegistry.load(configJSON: json, tensors: DictionaryTensorProvider(renamed))
        else { Issue.record("not an encoder"); return }
        let ref = try TransformerFixtures.reference("bert_tiny")
        expectClose(try model.hiddenStates(tokens: try TransformerFixtures.tokens(ref, "tokens.1")), try ref.tensor("hidden.1"),
                    "renamed checkpoint")
    }

    @Test func inputsBeyondThePositionsAreTypedErrors() throws {
        let model = try TransformerFixtures.bert()
        #expect(throws: TransformerError.sequenceTooLong(length: 17, maximum: 16)) {
            try model.hiddenStates(tokens: [Int](repeating: 1, count: 17))
        }
        #expect(throws: TransformerError.tokenOutOfRange(token: 50, vocabularySize: 50)) { try model.hiddenStates(tokens: [50]) }
        #expect(throws: TransformerError.tokenOutOfRange(token: 2, vocabularySize: 2)) {
            try model.hiddenStates(tokens: [1, 2], tokenTypes: [0, 2])
        }
        #expect(throws: TransformerError.emptyInput("the encoder")) { try model.hiddenStates(batch: [[1], []]) }
    }
}
