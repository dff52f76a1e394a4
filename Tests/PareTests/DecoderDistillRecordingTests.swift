import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// `distill` on a decoder recorded end to end on the tiny Llama: the baseline companion run
/// first, then the distillation linked to it; the student is what the run records (its size,
/// its perplexity), and it rebuilds from the record and exports with its own sizes.
@Suite struct DecoderDistillRecordingTests {
    let folder = Fixtures.scratch("decoder-distill-record")

    func record(_ settings: [String: String]) throws -> (Store, Int64, Model) {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let text = try TinyTransformers.text(in: folder).path
        let store = try Store(path: folder.appending(path: "pare-\(UUID().uuidString).sqlite").path, create: true)
        let request = RecordRequest(modelPath: model, trainPath: "text:\(text),tokens=96,context=24",
                                    testPath: "text:\(text),tokens=200,context=40", method: "distill",
                                    settings: settings, measureSpeed: false)
        let prepared = try Recorder.prepare(request)
        let id = try Recorder.record(prepared, store: store)
        return (store, id, prepared.base.model)
    }

    @Test(arguments: ["layers:1", "llama:layers=1,hidden=16,heads=2,kv_heads=1,intermediate=20"])
    func theStudentAndItsBaselineAreRecordedAndRebuild(_ student: String) throws {
        let (store, id, base) = try record(["student": student, "steps": "3", "lr": "0.003", "feature_layers": "1:0"])
        let metrics = try store.finalMetrics(run: id)
        #expect(metrics["perplexity"].map { $0 > 1 && $0.isFinite } == true)
        #expect(metrics["params_total"]! < Double(base.parameterCount), "the student's size is recorded")
        let shown = try store.show(run: id)
        func field(_ name: String) -> TableValue? { shown.fields.first { $0.name == name }?.value }
        let baselineID = [id - 1]   // recorded first
        let baselineShown = try store.show(run: baselineID[0])
        #expect(baselineShown.fields.first { $0.name == "name" }?.value == .text("distill [baseline]"))
        #expect(shown.notes.contains("baseline: run \(baselineID[0])"))
        let curves = try store.curves(run: id).map(\.metric)
        #expect(Set(["train_loss", "kd_loss", "ce_loss", "feature_loss"]).isSubset(of: Set(curves)))
        #expect(!(try store.curves(run: baselineID[0]).map(\.metric).contains("kd_loss")))
        // Rebuilt from the record (teacher's config.json, the student's tensor shapes).
        let (rebuilt, files) = try StoredModel.loadTransformer(run: id, from: store)
        guard case .decoder(let d)? = rebuilt.transformer else { Issue.record("not a decoder"); return }
        #expect(Double(rebuilt.parameterCount) == metrics["params_total"])
        if student.hasPrefix("llama:") { #expect(d.spec.hiddenSize == 16 && d.spec.heads == 2 && d.spec.kvHeads == 1) }
        #expect(d.layers.count == 1)
        let out = folder.appending(path: "export-\(UUID().uuidString)").path
        try TransformerIO.exportDirectory(rebuilt.transformer!, files: files, to: out, protecting: [])
        let again = try TransformerRegistry.load(directory: URL(fileURLWithPath: out))
        guard case .decoder(let e) = again else { Issue.record("not a decoder"); return }
        let tokens = [3, 7, 11, 2, 9]
        #expect(try e.logits(tokens: tokens) == d.logits(tokens: tokens))
    }
}
