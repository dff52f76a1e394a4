import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// A factored token embedding through the record: stored exactly as its two factors (the tied
/// head not again), sized once, rebuilt with the tie intact, exported as the dense product.
@Suite struct LowRankEmbeddingRecordTests {
    let folder = Fixtures.scratch("lowrank-embedding")

    @Test func storedOnceRebuiltExactlyExportedDense() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try Store(path: folder.appending(path: "pare.sqlite").path, create: true)
        let request = RecordRequest(modelPath: model.path, testPath: "text:\(try TinyTransformers.text(in: folder).path),tokens=200,context=40",
                                    method: "lowrank-svd", settings: ["embedding": "only", "rank": "4"], measureSpeed: false)
        let prepared = try Recorder.prepare(request)
        let run = try Recorder.record(prepared, store: store)
        let metrics = try store.finalMetrics(run: run)
        let tensors = try store.tensors(run: run)
        let embedding = try #require(tensors.first { $0.name == "model.embed_tokens.weight" })
        #expect(embedding.tensor.encoding == "lowrank" && embedding.tensor.meta["rank"] == "4")
        #expect(embedding.tensor.shape == [540, 32] && embedding.tensor.payload.count == 4 * 4 * (540 + 32))
        #expect(!tensors.contains { $0.name == "lm_head.weight" })
        // size_bytes is every stored payload, the factors counted once; params_total the same values.
        #expect(metrics["size_bytes"]! == Double(tensors.reduce(0) { $0 + $1.tensor.payload.count }))
        #expect(metrics["size_bytes"]! == 4 * metrics["params_total"]!)
        #expect(metrics["base_size_bytes"]! - metrics["size_bytes"]! == Double(4 * (540 * 32 - 4 * (540 + 32))))
        #expect(metrics["params_nonzero"]! <= metrics["params_total"]!)

        // Rebuilt from the record: the same factors, the head tied to them, the same perplexity.
        let (rebuilt, files) = try StoredModel.loadTransformer(run: run, from: store)
        guard case .decoder(let d)? = rebuilt.transformer else { Issue.record("not a decoder"); return }
        let stored = try LowRankWeight(decoding: embedding.tensor)
        #expect(d.embedTokens.factors?.left == stored.left && d.embedTokens.factors?.right == stored.right)
        #expect(rebuilt.transformer!.sharesEmbeddingWithLMHead)
        let windows = try TextWindows.load(spec: try TextSpec.parse("text:\(folder.appending(path: "text.txt").path),tokens=200,context=40"),
                                           tokenizer: try TokenizerLoader.load(directory: model))
        let again = try LanguageModelEvaluation.metrics(model: d, base: nil, windows: windows, measureTiming: false)
        #expect(abs(again["perplexity"]! - metrics["perplexity"]!) < 1e-9)

        // Exported for Hugging Face: the dense product A·B as model.embed_tokens.weight, no
        // lm_head (tied), the rank in the metadata; reloaded, the perplexity is the same.
        let out = folder.appending(path: "exported").path
        try TransformerIO.exportDirectory(rebuilt.transformer!, files: files, to: out, protecting: [])
        let file = try SafetensorsFile.read(contentsOf: URL(fileURLWithPath: out).appending(path: "model.safetensors"))
        #expect(file.metadata?["lowrank_embedding"] == "model.embed_tokens:4")
        #expect(!file.tensors.map(\.name).contains("lm_head.weight"))
        let reloaded = try TransformerFixtures.decoder(at: URL(fileURLWithPath: out))
        #expect(reloaded.embedTokens.factors == nil)
        let product = stored.decoded()
        #expect(zip(reloaded.embedTokens.weight.data, product.data).allSatisfy { $0 == $1 })
        let exported = try LanguageModelEvaluation.metrics(model: reloaded, base: nil, windows: windows, measureTiming: false)
        #expect(abs(exported["perplexity"]! - metrics["perplexity"]!) < 1e-4 * metrics["perplexity"]!)
    }

    @Test func perLayerSettingsAreInTheRecordedConfig() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try Store(path: folder.appending(path: "pare.sqlite").path, create: true)
        let request = RecordRequest(modelPath: model.path, testPath: "text:\(try TinyTransformers.text(in: folder).path),tokens=200,context=40",
                                    method: "quant-weight", settings: ["per_layer": "*.self_attn.*:bits=8;*.mlp.*:bits=4"], measureSpeed: false)
        let run = try Recorder.record(try Recorder.prepare(request), store: store)
        let encodings = Dictionary(uniqueKeysWithValues: try store.tensors(run: run).map { ($0.name, $0.tensor) })
        let q = try WeightEncodings.decode(encodings["model.layers.0.self_attn.q_proj.weight"]!) as? QuantizedWeight
        let down = try WeightEncodings.decode(encodings["model.layers.1.mlp.down_proj.weight"]!) as? QuantizedWeight
        #expect(q?.bits == 8 && down?.bits == 4)
        let start = try Recorder.prepare(request)
        let config = start.method.config
        #expect(config["per_layer.1.layers"] == .string("*.self_attn.*") && config["per_layer.2.bits"] == .int(4))
    }
}
