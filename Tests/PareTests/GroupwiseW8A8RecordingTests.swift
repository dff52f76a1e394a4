import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// `quant-dynamic --set group=G` through the record: the params say group, the stored layers
/// are group-wise and rebuild to the evaluated model; a group that does not divide a width is
/// one sentence before the database exists.
@Suite struct GroupwiseW8A8RecordingTests {
    let folder = Fixtures.scratch("groupwise-w8a8")

    @Test func aGroupwiseDynamicRunRecordsItsGroupAndRebuildsExactly() throws {
        let model = try TinyTransformers.llama(in: folder)
        let store = try Store(path: folder.appending(path: "pare.sqlite").path, create: true)
        let text = try TinyTransformers.text(in: folder).path
        let request = RecordRequest(modelPath: model.path, testPath: "text:\(text),tokens=200,context=40",
                                    method: "quant-dynamic", settings: ["group": "16"], measureSpeed: false)
        let id = try Recorder.record(try Recorder.prepare(request), store: store)
        let run = try store.show(run: id)
        #expect(run.status == "finished")
        var params: [String: TableValue] = [:]
        for row in run.params.rows { if case .text(let key) = row[0] { params[key] = row[1] } }
        #expect(params["group_size"] == .int(16), "\(params)")
        #expect(params["weight_granularity"] == .text("group"))
        let tensors = try store.tensors(run: id)
        #expect(tensors.contains { $0.tensor.encoding == GroupwiseDynamicInt8Linear.encodingName })
        let rebuilt = try StoredModel.load(run: id, from: store)
        guard case .decoder(let d)? = rebuilt.transformer else { Issue.record("not a decoder"); return }
        let tokenizer = try TokenizerLoader.load(directory: model)
        let windows = try TextWindows.load(spec: try TextSpec.parse("text:\(text),tokens=200,context=40"), tokenizer: tokenizer)
        let again = try LanguageModelEvaluation.metrics(model: d, base: nil, windows: windows, measureTiming: false)
        #expect(abs(again["perplexity"]! - (try store.finalMetrics(run: id))["perplexity"]!) < 1e-9)

        // The tiny Llama's widths are 32 and 48: group=7 divides neither.
        let path = folder.appending(path: "refused.sqlite").path
        do {
            _ = try Recorder.prepare(RecordRequest(modelPath: model.path, testPath: "text:\(text),tokens=200,context=40",
                                                   method: "quant-dynamic", settings: ["group": "7"], measureSpeed: false))
            Issue.record("group=7 accepted")
        } catch {
            #expect("\(error)".contains("group=7 does not divide the 32 inputs"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
