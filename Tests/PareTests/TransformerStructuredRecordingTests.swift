import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// A structurally pruned decoder through the record: its tensors are smaller than the base's
/// config.json says, so the rebuild must take the sizes from the tensors and the export must
/// write a config.json with the new sizes — and the exported directory loads back to the same
/// logits.
@Suite struct TransformerStructuredRecordingTests {
    let folder = Fixtures.scratch("transformer-structured-recording")

    func request(_ model: URL, _ settings: [String: String], calibrate: Bool = true) throws -> RecordRequest {
        let text = try TinyTransformers.text(in: folder).path
        return RecordRequest(modelPath: model.path, testPath: "text:\(text),tokens=200,context=40",
                             calibrationPath: calibrate ? "text:\(text),samples=4,context=24" : nil,
                             method: "prune-structured", settings: settings, measureSpeed: false)
    }

    func decoder(_ model: Model) throws -> CausalDecoder {
        guard case .decoder(let d)? = model.transformer else { throw PareError("not a decoder") }
        return d
    }

    func config(_ directory: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appending(path: "config.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Records `settings`, rebuilds the run, exports it and loads the export: the sizes are
    /// `expected` (layers, heads, kv heads, channels) everywhere and the logits are identical.
    func roundTrip(_ settings: [String: String], expected: [Int], tied: Bool = true) throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString), tied: tied)
        let store = try Store(path: folder.appending(path: "pare-\(UUID().uuidString).sqlite").path, create: true)
        let run = try Recorder.record(try Recorder.prepare(try request(model, settings)), store: store)
        let metrics = try store.finalMetrics(run: run)
        let base = try Recorder.record(try Recorder.prepare(try request(model, [:], calibrate: false).with(method: "none")), store: store)
        let baseMetrics = try store.finalMetrics(run: base)
        #expect(metrics["params_total"]! < baseMetrics["params_total"]! && metrics["flops"]! < baseMetrics["flops"]!)
        #expect(metrics["size_bytes"]! < baseMetrics["size_bytes"]!)

        let (rebuilt, files) = try StoredModel.loadTransformer(run: run, from: store)
        let d = try decoder(rebuilt)
        let s = d.spec
        #expect([s.layers, s.heads, s.kvHeads, s.intermediateSize] == expected && s.headDim == 8)
        let stored = Dictionary(uniqueKeysWithValues: try store.tensors(run: run).map { ($0.name, $0.tensor) })
        #expect(Dictionary(uniqueKeysWithValues: Recorder.storedTensors(rebuilt).map { ($0.name, $0.tensor) }) == stored)

        let out = folder.appending(path: "export-\(UUID().uuidString)").path
        try TransformerIO.exportDirectory(rebuilt.transformer!, files: files, to: out, protecting: [])
        let c = try config(out)
        #expect([c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]]
            .map { $0 as? Int } == expected.map { $0 })
        #expect(c["head_dim"] as? Int == 8 && c["tie_word_embeddings"] as? Bool == tied && c["model_type"] as? String == "llama")
        #expect(c["rms_norm_eps"] as? Double == 1e-5)

        let reloaded = try TransformerRegistry.load(directory: URL(fileURLWithPath: out))
        guard case .decoder(let again) = reloaded else { Issue.record("not a decoder"); return }
        #expect(again.spec == d.spec)
        let tokens = [3, 14, 15, 92, 65, 35, 89, 79, 323, 84]
        #expect(try again.logits(tokens: tokens) == d.logits(tokens: tokens))
        // The export records as a model of its own with the pruned run's perplexity.
        let exported = try Recorder.record(try Recorder.prepare(try request(URL(fileURLWithPath: out), [:], calibrate: false).with(method: "none")),
                                           store: store)
        #expect(abs(try store.finalMetrics(run: exported)["perplexity"]! - metrics["perplexity"]!) < 1e-6)
    }

    @Test func prunedHeadsRecordRebuildAndExportWithTheirNewSizes() throws {
        try roundTrip(["target": "heads", "amount": "0.5"], expected: [2, 2, 1, 48])
        try roundTrip(["target": "heads", "amount": "0.5", "heads": "within", "importance": "activation"], expected: [2, 2, 2, 48],
                      tied: false)
    }

    @Test func prunedChannelsRecordRebuildAndExportWithTheirNewSizes() throws {
        try roundTrip(["target": "channels", "amount": "0.25", "importance": "activation"], expected: [2, 4, 2, 36])
    }

    @Test func droppedBlocksRecordRebuildAndExportWithTheirNewSizes() throws {
        try roundTrip(["target": "blocks", "amount": "1"], expected: [1, 4, 2, 48])
    }

    @Test func theRunRecordsItsSettingsAndWhatWasRemoved() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try Store(path: folder.appending(path: "notes.sqlite").path, create: true)
        let run = try Recorder.record(try Recorder.prepare(try request(model, ["target": "blocks", "amount": "0.5"])), store: store)
        let metrics = try store.finalMetrics(run: run)
        #expect(metrics["structured_removed_fraction"] == 0.5)
        #expect(metrics["compress_seconds"] != nil)
        let tensors = try store.tensors(run: run).map(\.name)
        #expect(tensors.contains("model.layers.0.mlp.down_proj.weight") && !tensors.contains { $0.hasPrefix("model.layers.1.") })
    }

    @Test func badStructuredSettingsAreRefusedBeforeTheDatabase() throws {
        let model = try TinyTransformers.llama(in: folder)
        func refused(_ r: RecordRequest, _ fragment: String) {
            do { _ = try Recorder.prepare(r); Issue.record("accepted: \(fragment)") } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        refused(try request(model, ["amount": "0.5"]), "target=heads|channels|blocks")
        refused(try request(model, ["target": "heads", "amount": "0.9"]), "would remove all 2 key/value groups")
        refused(try request(model, ["target": "channels", "amount": "0.99"]), "would remove all 48 MLP channels")
        refused(try request(model, ["target": "blocks", "amount": "2"]), "would remove all 2 blocks")
        refused(try request(model, ["target": "blocks", "amount": "1"], calibrate: false), "--calib text:FILE")
    }
}

extension RecordRequest {
    func with(method: String) -> RecordRequest {
        var r = self
        r.method = method
        r.settings = [:]
        return r
    }
}
