import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// A transformer through the whole record: Hugging Face directory → compress → evaluate →
/// record → rebuild from the record → export as a Hugging Face directory → load again.
@Suite struct TransformerRecordingTests {
    let folder = Fixtures.scratch("transformer-recording")

    func store() throws -> Store { try Store(path: folder.appending(path: "pare.sqlite").path, create: true) }

    func lmRequest(_ model: URL, _ method: String, _ settings: [String: String] = [:], tokens: Int = 200) throws -> RecordRequest {
        RecordRequest(modelPath: model.path, testPath: "text:\(try TinyTransformers.text(in: folder).path),tokens=\(tokens),context=40",
                      method: method, settings: settings, measureSpeed: false)
    }

    @Test func aDecoderRecordsItsPerplexityAndRebuildsExactly() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try store()
        let base = try Recorder.record(try Recorder.prepare(try lmRequest(model, "none")), store: store)
        let metrics = try store.finalMetrics(run: base)
        // The recorded perplexity is the evaluation of the checkpoint itself (independently loaded here).
        let decoder = try TransformerFixtures.decoder(at: model)
        let tokenizer = try TokenizerLoader.load(directory: model)
        let windows = try TextWindows.load(spec: try TextSpec.parse("text:\(folder.appending(path: "text.txt").path),tokens=200,context=40"),
                                           tokenizer: tokenizer)
        let direct = try LanguageModelEvaluation.metrics(model: decoder, base: nil, windows: windows, measureTiming: false)
        #expect(abs(metrics["perplexity"]! - direct["perplexity"]!) < 1e-9)
        #expect(metrics["kl_to_base"]! == 0 && metrics["agreement"]! == 1)
        #expect(metrics["compression_ratio"]! == 1)
        // Tied: the embedding is stored once, so the size is the parameters × 4 bytes.
        #expect(metrics["size_bytes"]! == 4 * metrics["params_total"]!)

        // quant-weight on the MLP projections only, by glob: those layers shrink, the rest stay.
        let quant = try Recorder.record(try Recorder.prepare(try lmRequest(model, "quant-weight",
            ["bits": "8", "layers": "model.layers.*.mlp.*"])), store: store)
        let q = try store.finalMetrics(run: quant)
        #expect(q["size_bytes"]! < metrics["size_bytes"]! && q["perplexity"]! > 0)
        let tensors = try store.tensors(run: quant)
        let encodings = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor.encoding) })
        #expect(encodings["model.layers.1.mlp.down_proj.weight"] != "dense")
        #expect(encodings["model.layers.1.self_attn.q_proj.weight"] == "dense")
        #expect(encodings["lm_head.weight"] == nil)   // tied, not stored twice

        // Rebuilt from the record, the model is the one evaluated: same perplexity, same logits.
        let rebuilt = try StoredModel.load(run: quant, from: store)
        guard case .decoder(let rebuiltDecoder) = rebuilt.transformer! else { Issue.record("not a decoder"); return }
        let again = try LanguageModelEvaluation.metrics(model: rebuiltDecoder, base: nil, windows: windows, measureTiming: false)
        #expect(abs(again["perplexity"]! - q["perplexity"]!) < 1e-9)
    }

    @Test func aPrunedDecoderExportsToADirectoryThatReloadsToTheSamePerplexity() throws {
        let model = try TinyTransformers.llama(in: folder, tied: false)
        let store = try store()
        let pruned = try Recorder.record(try Recorder.prepare(try lmRequest(model, "prune-magnitude", ["amount": "0.5"])), store: store)
        let recorded = try store.finalMetrics(run: pruned)
        // Half of the blocks' Linear weights (2 layers × 7,680), never the embedding or lm_head.
        #expect(recorded["params_total"]! - recorded["params_nonzero"]! == 7_680)

        let out = folder.appending(path: "exported").path
        let (rebuilt, files) = try StoredModel.loadTransformer(run: pruned, from: store)
        try TransformerIO.exportDirectory(rebuilt.transformer!, files: files, to: out, protecting: [])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["config.json", "model.safetensors", "tokenizer.json"])
        let names = try SafetensorsFile.read(contentsOf: URL(fileURLWithPath: out).appending(path: "model.safetensors")).tensors.map(\.name)
        #expect(names.contains("lm_head.weight") && names.contains("model.layers.0.self_attn.q_proj.weight"))

        let reloaded = try Recorder.record(try Recorder.prepare(try lmRequest(URL(fileURLWithPath: out), "none")), store: store)
        #expect(abs(try store.finalMetrics(run: reloaded)["perplexity"]! - recorded["perplexity"]!) < 1e-6)
        // An export never writes into a directory that has files.
        #expect(throws: PareError.self) { try TransformerIO.exportDirectory(rebuilt.transformer!, files: files, to: out, protecting: []) }
    }

    @Test func anEncoderRecordsCosineAndAProbeCachedPerBaseModel() throws {
        let model = try TinyTransformers.bert(in: folder)
        let train = try TinyTransformers.sentences(in: folder, name: "train.tsv", rows: 60)
        let test = try TinyTransformers.sentences(in: folder, name: "test.tsv", rows: 30, offset: 1000)
        let store = try store()
        func request(_ method: String, _ settings: [String: String] = [:]) -> RecordRequest {
            RecordRequest(modelPath: model.path, trainPath: "sentences:\(train.path)", testPath: "sentences:\(test.path)",
                          method: method, settings: settings, measureSpeed: false)
        }
        let prepared = try Recorder.prepare(request("none"))
        let base = try store.finalMetrics(run: try Recorder.record(prepared, store: store))
        #expect(abs(base["embedding_cosine"]! - 1) < 1e-6)
        let probeJSON = try #require(try store.probe(model: prepared.base.hash, dataset: prepared.data.trainSentences!.contentHash))
        // The base's accuracy is its cached probe applied to its own test embeddings.
        let probe = try JSONDecoder().decode(LinearProbe.self, from: Data(probeJSON.utf8))
        guard case .encoder(let encoder) = prepared.base.model.transformer!, case .sentences(let testSet) = prepared.data.test else {
            Issue.record("not an encoder run"); return
        }
        let embeddings = try EncoderEvaluation.embeddings(model: encoder, tokenizer: prepared.base.tokenizer!, texts: testSet.texts)
        #expect(base["accuracy"] == probe.accuracy(embeddings, labels: testSet.labels!))
        let low = try store.finalMetrics(run: try Recorder.record(try Recorder.prepare(request("lowrank-svd", ["ratio": "0.25"])), store: store))
        #expect(low["embedding_cosine"]! < 1 && low["accuracy"] != nil)
        #expect(try store.probe(model: prepared.base.hash, dataset: prepared.data.trainSentences!.contentHash) == probeJSON)
    }

    @Test func aShardedCheckpointIsTheSameModelAsItsSingleFile() throws {
        let single = try TinyTransformers.llama(in: folder)
        let sharded = folder.appending(path: "sharded")
        try FileManager.default.createDirectory(at: sharded, withIntermediateDirectories: true)
        for name in ["config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(at: single.appending(path: name), to: sharded.appending(path: name))
        }
        let file = try SafetensorsFile.read(contentsOf: single.appending(path: "model.safetensors"))
        let half = file.tensors.count / 2
        let shards = [Array(file.tensors[..<half]), Array(file.tensors[half...])]
        var map: [String: String] = [:]
        for (i, tensors) in shards.enumerated() {
            let name = "model-0000\(i + 1)-of-00002.safetensors"
            try SafetensorsFile(tensors: tensors).write(to: sharded.appending(path: name))
            for t in tensors { map[t.name] = name }
        }
        try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
            .write(to: sharded.appending(path: "model.safetensors.index.json"))
        let a = try ModelIO.load(contentsOf: single), b = try ModelIO.load(contentsOf: sharded)
        #expect(a.hash == b.hash && a.sizeBytes == b.sizeBytes)   // the weights, not their files, identify a model
        // A shard the index names but the folder lacks is one clear error.
        try FileManager.default.removeItem(at: sharded.appending(path: "model-00002-of-00002.safetensors"))
        #expect(throws: TransformerError.self) { try ModelIO.load(contentsOf: sharded) }
    }

    @Test func aCalibratedDecoderRunRecordsItsCalibrationSetAndRebuildsExactly() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try store()
        var request = try lmRequest(model, "quant-gptq", ["bits": "4", "granularity": "group", "group_size": "16"])
        request.calibrationPath = "text:\(try TinyTransformers.text(in: folder).path),samples=2,context=40"
        let id = try Recorder.record(try Recorder.prepare(request), store: store)
        let run = try store.show(run: id)
        #expect(run.status == "finished")
        let fields = Dictionary(uniqueKeysWithValues: run.fields.map { ($0.name, $0.value) })
        #expect(fields["calib_dataset"] == .text("text.txt,samples=2,context=40"))
        let metrics = try store.finalMetrics(run: id)
        #expect(metrics["compress_seconds"]! > 0 && metrics["perplexity"]! > 0)
        // The stored model is the evaluated one.
        let rebuilt = try StoredModel.load(run: id, from: store)
        let tokens = [3, 5, 8, 13, 21]
        guard case .decoder(let d)? = rebuilt.transformer else { Issue.record("not a decoder"); return }
        let encodings = Set(d.layers.flatMap(\.linears).map(\.weight.encodingName))
        #expect(!encodings.contains("dense"), "\(encodings)")
        #expect(try d.logits(tokens: tokens).data.allSatisfy(\.isFinite))
    }

    @Test func aCalibratedEncoderRunRecordsItsCalibrationSentences() throws {
        let model = try TinyTransformers.bert(in: folder)
        let calib = try TinyTransformers.sentences(in: folder, name: "calib.tsv", rows: 40, offset: 500)
        let test = try TinyTransformers.sentences(in: folder, name: "test.tsv", rows: 30, offset: 1000)
        let store = try store()
        var request = RecordRequest(modelPath: model.path, testPath: "sentences:\(test.path)", method: "prune-wanda",
                                    settings: ["amount": "0.5"], measureSpeed: false)
        request.calibrationPath = "sentences:\(calib.path),rows=32"
        let id = try Recorder.record(try Recorder.prepare(request), store: store)
        let run = try store.show(run: id)
        #expect(run.status == "finished")
        let fields = Dictionary(uniqueKeysWithValues: run.fields.map { ($0.name, $0.value) })
        #expect(fields["calib_dataset"] == .text("calib.tsv,rows=32"))
        let metrics = try store.finalMetrics(run: id)
        #expect(abs(metrics["sparsity"]! - 0.5) < 1e-9 && metrics["embedding_cosine"]! < 1)
        guard case .encoder(let e)? = try StoredModel.load(run: id, from: store).transformer else { Issue.record("not an encoder"); return }
        for layer in e.linears { #expect(layer.weight.decoded().data.filter { $0 == 0 }.count == layer.weight.parameterCount / 2) }

        // Text is a decoder's calibration; folding methods have no norm to fold into on BERT.
        func refused(_ r: RecordRequest, _ fragment: String) {
            do { _ = try Recorder.prepare(r); Issue.record("accepted: \(fragment)") } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        var text = request
        text.calibrationPath = "text:\(try TinyTransformers.text(in: folder).path)"
        refused(text, "--calib sentences:FILE")
        var smooth = request
        smooth.method = "quant-smooth"
        smooth.settings = [:]
        refused(smooth, "post-norm")
    }

    @Test func transformerMistakesAreOneSentenceBeforeTheDatabase() throws {
        let model = try TinyTransformers.llama(in: folder)
        let text = try TinyTransformers.text(in: folder).path
        func refused(_ r: RecordRequest, _ fragment: String) {
            do { _ = try Recorder.prepare(r); Issue.record("accepted: \(fragment)") } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        refused(try lmRequest(model, "quant-qat"), "give steps=")
        refused(try lmRequest(model, "prune-wanda"), "needs calibration text")
        var calibrated = try lmRequest(model, "quant-gptq")
        calibrated.calibrationPath = "text:\(text),samples=100,context=40"
        refused(calibrated, "samples=100 windows of context=40 need 4000")
        calibrated.calibrationPath = "text:\(text),samples=0"
        refused(calibrated, "not a positive whole number")
        calibrated.calibrationPath = Fixtures.digitsTest
        refused(calibrated, "calibrates on text")
        refused(try lmRequest(model, "quant-weight", ["layers": "*.nothing_*"]), "matches no layer")
        refused(RecordRequest(modelPath: model.path, testPath: "text:\(text),context=100", method: "none"), "context")
        refused(RecordRequest(modelPath: model.path, testPath: Fixtures.digitsTest, method: "none"), "text:FILE")
        refused(RecordRequest(modelPath: Fixtures.teacher, testPath: "text:\(text)", method: "none"), "MLP")
        refused(try lmRequest(model, "prune-magnitude", ["finetune_epochs": "1", "schedule": "agp"]), "fine-tuning")
        // A config that contradicts the tensors: the head count does not divide the widths.
        let broken = folder.appending(path: "broken")
        try FileManager.default.copyItem(at: model, to: broken)
        let config = try String(contentsOf: broken.appending(path: "config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"num_key_value_heads\":2", with: "\"num_key_value_heads\":3")
        try Data(config.utf8).write(to: broken.appending(path: "config.json"))
        refused(try lmRequest(broken, "none"), "num_key_value_heads")
    }
}

extension TransformerFixtures {
    static func decoder(at url: URL) throws -> CausalDecoder {
        guard case .decoder(let m) = try TransformerRegistry.load(directory: url) else { throw PareError("not a decoder") }
        return m
    }
}

enum TransformerFixtures {}
