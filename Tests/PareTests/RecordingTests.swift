import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
@testable import Pare

@Suite struct RecordingTests {
    func request(_ method: String, _ settings: [String: String] = [:]) -> RecordRequest {
        RecordRequest(modelPath: Fixtures.teacher, testPath: Fixtures.digitsTest, method: method,
                      settings: settings, measureSpeed: false)
    }

    /// record → stored tensors → export-model: the bytes come back identical and the exported
    /// model is the evaluated one.
    @Test(arguments: [("quant-weight", ["bits": "8"]), ("prune-magnitude", ["amount": "0.5"]),
                      ("prune-structured", ["amount": "0.5"]), ("quant-weight", ["bits": "4", "granularity": "group", "group_size": "32"]),
                      ("lowrank-svd", ["energy": "0.8"])])
    func storeRoundTrip(method: String, settings: [String: String]) throws {
        let store = try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
        let prepared = try Recorder.prepare(request(method, settings))
        let compressed = try prepared.method.compress(prepared.base.model, context: CompressionContext())
        let id = try Recorder.record(prepared, store: store)

        let stored = try store.tensors(run: id)
        let expected = Recorder.storedTensors(compressed.model)
        #expect(stored.map(\.name) == expected.map(\.name))
        #expect(stored.map(\.tensor) == expected.map(\.tensor))

        let rebuilt = try StoredModel.load(run: id, from: store)
        #expect(rebuilt.dims == compressed.model.dims)
        #expect(rebuilt.denseWeights() == compressed.model.denseWeights())

        // Exported to safetensors and loaded again: same predictions as the recorded run.
        let file = Fixtures.scratch().appending(path: "exported.safetensors")
        try TeacherTraining.write(rebuilt, to: file)
        let reloaded = try ModelIO.load(contentsOf: file)
        let test = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTest))
        #expect(Evaluator.predictions(reloaded.model, test) == Evaluator.predictions(compressed.model, test))
    }

    @Test func int8RunIsHonestAboutSize() throws {
        let store = try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
        let id = try Recorder.record(try Recorder.prepare(request("quant-weight", ["bits": "8"])), store: store)
        let table = try store.exportTable(filter: "run.id = \(id)")
        let value = { (key: String) in table.rows[0][table.columns.firstIndex(of: "metrics.\(key)")!].doubleValue! }
        // int8 codes (1 byte per weight) + one F32 scale per row, biases F32.
        let weights = 256 * 64 + 128 * 256 + 10 * 128
        let rows = 256 + 128 + 10
        #expect(value("size_bytes") == Double(weights + 4 * rows + 4 * rows))
        #expect(value("base_size_bytes") == Double(4 * weights + 4 * rows))
        #expect(abs(value("compression_ratio") - value("base_size_bytes") / value("size_bytes")) < 1e-9)
        #expect(value("accuracy") >= 0.97)
    }

    @Test func magnitudePruningZeroesWhatPyTorchZeroes() throws {
        let prepared = try Recorder.prepare(request("prune-magnitude", ["amount": "0.5"]))
        let result = try prepared.method.compress(prepared.base.model, context: CompressionContext())
        let zeros = result.model.layers.map { $0.weight.parameterCount - $0.weight.nonzeroCount }
        #expect(zeros == [8192, 16384, 640])
    }

    /// A failure after the run row exists marks it failed with the error; no metrics or tensors.
    @Test func failureIsRecordedAsFailed() throws {
        let store = try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
        var prepared = try Recorder.prepare(request("none"))
        prepared.method = FailingMethod()
        #expect(throws: PareError.self) { try Recorder.record(prepared, store: store) }
        let runs = try store.runs()
        #expect(runs.column("status") == [.text("failed")])
        let detail = try store.show(run: 1)
        #expect(detail.error?.contains("deliberate") == true)
        #expect(detail.metrics.rows.isEmpty)
        #expect(try store.tensors(run: 1).isEmpty)
    }

    @Test func badInputIsRejectedBeforeTheDatabase() throws {
        #expect(throws: (any Error).self) { try Recorder.prepare(request("prune-magnitude", ["amount": "1.5"])) }
        #expect(throws: (any Error).self) { try Recorder.prepare(request("unknown-method")) }
        var wrongWidth = request("none")
        wrongWidth.arch = "mlp:32,256,128,10:relu"
        #expect(throws: (any Error).self) { try Recorder.prepare(wrongWidth) }
    }
}

struct FailingMethod: CompressionMethod {
    static let name = "failing"
    static let summary = "always fails"
    init(settings: Settings) throws {}
    init() {}
    var config: [String: ConfigValue] { [:] }
    func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        throw PareError("deliberate failure for the test")
    }
}
