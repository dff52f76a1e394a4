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
