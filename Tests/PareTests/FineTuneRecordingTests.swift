import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// `prune-magnitude+finetune` recorded end to end on the tiny Llama with `--train text:`: the
/// fine-tune stage is its own run with the training text recorded, its loss curve stored, its
/// pruned zeros kept, and its perplexity measured on --test; bad training data is refused
/// before anything is recorded.
@Suite struct FineTuneRecordingTests {
    let folder = Fixtures.scratch("finetune-record")

    @Test func aPruneThenFineTunePipelineRecordsTheCurveAndKeepsTheZeros() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let text = try TinyTransformers.text(in: folder).path
        let store = try Store(path: folder.appending(path: "pare-\(UUID().uuidString).sqlite").path, create: true)
        let request = RecordRequest(modelPath: model, trainPath: "text:\(text),tokens=96,context=24",
                                    testPath: "text:\(text),tokens=200,context=40", method: "prune-magnitude+finetune",
                                    settings: ["prune.amount": "0.5", "finetune.steps": "6", "finetune.lr": "0.003"],
                                    measureSpeed: false)
        let spec = try PipelineSpec.parse(method: request.method, settings: request.settings)
        let ids = try Pipeline.record(try Pipeline.prepare(request, spec: spec), store: store)
        #expect(ids.count == 2)
        let run = ids.last!
        let shown = try store.show(run: run)
        func field(_ name: String) -> TableValue? { shown.fields.first { $0.name == name }?.value }
        #expect(field("method") == .text("finetune"))
        #expect(field("parent_run_id") != nil && field("parent_run_id") != .null)
        let curves = try store.curves(run: run)
        #expect(curves.first { $0.metric == "train_loss" }?.points.count == 6)
        let metrics = try store.finalMetrics(run: run)
        #expect(metrics["perplexity"].map { $0 > 1 && $0.isFinite } == true)
        #expect(metrics["finetune_tokens"] == Double(6 * 24))
        let (tuned, _) = try StoredModel.loadTransformer(run: run, from: store)
        let sparsity = tuned.transformer!.linears.filter { $0.name != "lm_head" }.map { l in
            Double(l.weight.decoded().data.filter { $0 == 0 }.count) / Double(l.weight.decoded().count)
        }
        #expect(sparsity.allSatisfy { $0 >= 0.49 }, "\(sparsity)")
        // The training text is recorded as the run's training set (a hash, not the test's).
        #expect(field("train_dataset_hash") != .null && field("train_dataset_hash") != field("test_dataset_hash"))
    }

    /// quant-gptq+finetune with lora_rank (QLoRA): the stored run reloads with every adapted
    /// layer still holding the GPTQ stage's codes byte for byte, its adapters beside them, and
    /// the recorded size counting both; the perplexity is the adapted model's.
    @Test func loRAAfterGPTQStoresTheAdaptersBesideTheCodes() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let text = try TinyTransformers.text(in: folder).path
        let store = try Store(path: folder.appending(path: "pare-\(UUID().uuidString).sqlite").path, create: true)
        let request = RecordRequest(modelPath: model, trainPath: "text:\(text),tokens=96,context=24",
                                    testPath: "text:\(text),tokens=200,context=40", calibrationPath: "text:\(text),samples=4,context=24",
                                    method: "quant-gptq+finetune",
                                    settings: ["quant.bits": "4", "finetune.steps": "4", "finetune.lr": "0.003", "finetune.lora_rank": "2"],
                                    measureSpeed: false)
        let spec = try PipelineSpec.parse(method: request.method, settings: request.settings)
        let ids = try Pipeline.record(try Pipeline.prepare(request, spec: spec), store: store)
        let (quantized, _) = try StoredModel.loadTransformer(run: ids[0], from: store)
        let (tuned, _) = try StoredModel.loadTransformer(run: ids[1], from: store)
        var adapterBytes = 0
        for (q, t) in zip(quantized.transformer!.linears, tuned.transformer!.linears) where q.name.contains(".layers.") {
            guard let lora = t.weight as? LoRAAdaptedWeight else { Issue.record("\(t.name) is \(t.weight.encodingName)"); continue }
            #expect(lora.base.encoded() == q.weight.encoded(), "\(q.name)")
            adapterBytes += t.weight.encoded().payload.count - q.weight.encoded().payload.count
        }
        #expect(adapterBytes > 0)
        let before = try store.finalMetrics(run: ids[0]), after = try store.finalMetrics(run: ids[1])
        #expect(after["size_bytes"] == before["size_bytes"].map { $0 + Double(adapterBytes) })
        #expect(after["perplexity"] != before["perplexity"])
    }

    @Test func aDecodersTrainingDataMustBeText() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let text = try TinyTransformers.text(in: folder).path
        let request = RecordRequest(modelPath: model, trainPath: Fixtures.digitsTrain,
                                    testPath: "text:\(text),tokens=200,context=40", method: "finetune", measureSpeed: false)
        #expect(throws: (any Error).self) { _ = try Recorder.prepare(request) }
        let noTrain = RecordRequest(modelPath: model, testPath: "text:\(text),tokens=200,context=40", method: "finetune", measureSpeed: false)
        #expect(throws: (any Error).self) { _ = try Recorder.prepare(noTrain) }
    }
}
