import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// `pare log`'s library: a run computed elsewhere recorded with its params typed, its metrics
/// exact and marked as reported, its model stored so it exports byte for byte, or measured by
/// Pare's own evaluation; and `--from` JSON lines, all or nothing per line.
@Suite struct LogTests {
    let folder = Fixtures.scratch("log")

    func store() throws -> Store { try Store(path: folder.appending(path: "pare.sqlite").path, create: true) }

    func value(_ table: ResultTable, _ key: String, _ column: String = "value") -> TableValue? {
        guard let k = table.columns.firstIndex(of: "key"), let c = table.columns.firstIndex(of: column) else { return nil }
        return table.rows.first { $0[k] == .text(key) }?[c]
    }

    func field(_ detail: RunDetail, _ name: String) -> TableValue? { detail.fields.first { $0.name == name }?.value }

    @Test func aRunByNameKeepsItsParamsTypedAndMetricsExact() throws {
        let store = try store()
        // Values a float32 or a decimal round trip would change: the store must keep each bit.
        let ppl = 11.823456789012345, tiny = 5e-324
        let id = try RunLog.record(LogRequest(
            method: "gptq", base: "meta-llama/Llama-3.2-1B",
            params: ["bits": RunLog.paramValue("4"), "damp": RunLog.paramValue("0.01"), "act_order": RunLog.paramValue("true"),
                     "scheme": RunLog.paramValue("W4A16"), "lr": RunLog.paramValue("1e-5")],
            metrics: [(key: "perplexity", value: ppl), (key: "tiny", value: tiny)],
            tags: ["tool": "llm-compressor"], name: "gptq-4", experiment: "external"), store: store)
        let detail = try store.show(run: id)
        #expect(value(detail.params, "bits") == .int(4))
        #expect(value(detail.params, "damp") == .double(0.01))
        #expect(value(detail.params, "lr") == .double(1e-5))
        #expect(value(detail.params, "act_order") == .int(1))
        #expect(value(detail.params, "scheme") == .text("W4A16"))
        #expect(value(detail.params, RunLog.baseModelParam) == .text("meta-llama/Llama-3.2-1B"))
        #expect(value(detail.metrics, "perplexity") == .double(ppl))
        #expect(value(detail.metrics, "tiny") == .double(tiny))
        #expect(value(detail.metrics, "perplexity", "measured_by") == .text("user"))
        #expect(field(detail, "source") == .text("log"))
        #expect(field(detail, "method") == .text("gptq"))
        #expect(field(detail, "base_model_hash") == .null)
        #expect(try store.finalMetrics(run: id) == ["perplexity": ppl, "tiny": tiny])
    }

    @Test func aStoredModelExportsByteForByteAndIsMeasuredByPare() throws {
        // The "other tool's" output: the teacher with half of fc1 zeroed, written as safetensors.
        var model = try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacher)).model
        var weight = model.layers[0].weight.decoded()
        for i in stride(from: 0, to: weight.data.count, by: 2) { weight.data[i] = 0 }
        model.layers[0] = LinearLayer(name: model.layers[0].name, weight: DenseWeight(weight), bias: model.layers[0].bias)
        let compressed = folder.appending(path: "pruned.safetensors")
        try TeacherTraining.write(model, to: compressed)

        let store = try store()
        let baseline = try Recorder.record(try Recorder.prepare(RecordRequest(
            modelPath: Fixtures.teacher, testPath: Fixtures.digitsTest, method: "none", measureSpeed: false)), store: store)
        let id = try RunLog.record(LogRequest(method: "my-pruner", base: Fixtures.teacher, modelPath: compressed.path,
                                              metrics: [(key: "accuracy", value: 0.5), (key: "size_bytes", value: 1)]),
                                   store: store)
        // Same base model as the `none` run: they compare.
        #expect(try store.modelInfo(run: id).baseModelHash == store.modelInfo(run: baseline).baseModelHash)

        let exported = folder.appending(path: "exported.safetensors")
        try TeacherTraining.write(try StoredModel.load(run: id, from: store), to: exported)
        #expect(try Data(contentsOf: exported) == Data(contentsOf: compressed))

        let detail = try store.show(run: id)
        // Pare measures the stored size (every weight and bias F32) and parameters; the user's
        // own size_bytes is kept beside, their accuracy is the run's, marked as theirs.
        let params = model.layers.reduce(0) { $0 + $1.weight.parameterCount + ($1.bias?.count ?? 0) }
        #expect(value(detail.metrics, "size_bytes") == .double(Double(4 * params)))
        #expect(value(detail.metrics, "size_bytes", "measured_by") == .text("pare"))
        #expect(value(detail.metrics, "params_total") == .double(Double(params)))
        #expect(value(detail.metrics, "compression_ratio") == .double(1))
        #expect(value(detail.metrics, "accuracy", "measured_by") == .text("user"))
        #expect(value(detail.reportedMetrics, "size_bytes") == .double(1))
        #expect(value(detail.reportedMetrics, "accuracy") == nil)
    }

    /// A model logged against a base Pare cannot load (a name such as meta-llama/Llama-3.2-1B) is
    /// rebuilt from its own architecture and files: an MLP exports byte for byte, a transformer
    /// with its tokenizer, so generate --run and export-model work on it.
    @Test func aModelLoggedAgainstANamedBaseExportsFromItsOwnArchitecture() throws {
        let store = try store()
        let logged = folder.appending(path: "logged.safetensors")   // as Pare writes safetensors
        try TeacherTraining.write(try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacher)).model, to: logged)
        let mlp = try RunLog.record(LogRequest(method: "int8", base: "org/teacher", modelPath: logged.path), store: store)
        let exported = folder.appending(path: "named-base.safetensors")
        try TeacherTraining.write(try StoredModel.load(run: mlp, from: store), to: exported)
        #expect(try Data(contentsOf: exported) == Data(contentsOf: logged))
        #expect(try store.modelInfo(run: mlp).baseModelName == "org/teacher")
        #expect(value(try store.show(run: mlp).params, "base_model") == .text("org/teacher"))

        let llama = try TinyTransformers.llama(in: folder)
        let transformer = try RunLog.record(LogRequest(method: "gptq", base: "org/tiny-llama", modelPath: llama.path), store: store)
        let (model, files) = try StoredModel.loadTransformer(run: transformer, from: store)
        let original = try ModelIO.load(contentsOf: llama)
        #expect(model.isTransformer && files.keys.sorted() == original.files.map(\.name).sorted())
        for file in original.files { #expect(files[file.name] == file.bytes, "\(file.name)") }
        func tensors(_ m: Model) -> [String: EncodedTensor] {
            Dictionary(uniqueKeysWithValues: Recorder.storedTensors(m).map { ($0.name, $0.tensor) })
        }
        #expect(tensors(model) == tensors(original.model))
    }

    @Test func evaluateMeasuresTheModelAsPareRecordsIt() throws {
        let base = try TinyTransformers.llama(in: folder)
        let text = "text:\(try TinyTransformers.text(in: folder).path),tokens=200,context=40"
        let store = try store()
        // A compressed model from "elsewhere": Pare's own 50% magnitude pruning, exported as a
        // Hugging Face directory. Logged with --evaluate, its perplexity must be the one Pare
        // recorded when it made that model: the same evaluation of the same weights.
        let pruned = try Recorder.record(try Recorder.prepare(RecordRequest(
            modelPath: base.path, testPath: text, method: "prune-magnitude", settings: ["amount": "0.5"], measureSpeed: false)),
            store: store)
        let (model, files) = try StoredModel.loadTransformer(run: pruned, from: store)
        let exported = folder.appending(path: "pruned-hf").path
        try TransformerIO.exportDirectory(model.transformer!, files: files, to: exported, protecting: [])

        let id = try RunLog.record(LogRequest(method: "their-pruner", base: base.path, modelPath: exported,
                                              params: ["amount": .double(0.5)], metrics: [(key: "perplexity", value: 1.25)],
                                              evaluate: true, testPath: text, measureSpeed: false), store: store)
        let theirs = try store.finalMetrics(run: id), ours = try store.finalMetrics(run: pruned)
        let p = try #require(theirs["perplexity"])
        #expect(abs(p - ours["perplexity"]!) <= 1e-6 * ours["perplexity"]!)
        #expect(abs(theirs["kl_to_base"]! - ours["kl_to_base"]!) <= 1e-6)
        #expect(theirs["params_nonzero"] == ours["params_nonzero"])
        #expect(theirs["compress_seconds"] == nil)   // Pare compressed nothing
        let detail = try store.show(run: id)
        #expect(value(detail.metrics, "perplexity", "measured_by") == .text("pare"))
        #expect(value(detail.reportedMetrics, "perplexity") == .double(1.25))
        // Same base model and test data as Pare's own runs on it.
        let fields = try store.show(run: pruned)
        #expect(field(detail, "base_model_hash") == field(fields, "base_model_hash"))
        #expect(field(detail, "test_dataset_hash") == field(fields, "test_dataset_hash"))

        // The same run as a JSON line of `--from`, with "evaluate" and "test": the same figures.
        let line = #"{"method": "their-pruner", "base": "\#(base.path)", "model": "\#(exported)", "evaluate": true, "test": "\#(text)", "metrics": {"perplexity": 1.25}}"#
        let file = folder.appending(path: "evaluate.jsonl")
        try Data((line + "\n" + #"{"method": "x", "base": "m", "evaluate": "yes"}"# + "\n").utf8).write(to: file)
        let summary = try LogLines.record(contentsOf: file, store: store, measureSpeed: false)
        #expect(summary.refused.map(\.line) == [2])
        let fromLine = try store.finalMetrics(run: try #require(summary.ids.first))
        #expect(fromLine["perplexity"] == theirs["perplexity"] && fromLine["kl_to_base"] == theirs["kl_to_base"])
    }

    @Test func badRequestsAreRefusedBeforeAnyWrite() throws {
        func refusal(_ request: LogRequest) -> String? {
            do { _ = try RunLog.prepare(request); return nil } catch { return "\(error)" }
        }
        #expect(refusal(LogRequest(method: "gptq", base: "x", params: ["bad key": .int(1)]))?.contains("space") == true)
        #expect(refusal(LogRequest(method: "gptq", base: "x", metrics: [(key: "a", value: 1), (key: "a", value: 2)]))?.contains("twice") == true)
        #expect(refusal(LogRequest(method: "gptq", base: "x", metrics: [(key: "a", value: .nan)])) != nil)
        #expect(refusal(LogRequest(method: "", base: "x")) != nil)
        #expect(refusal(LogRequest(method: "gptq", base: "x", evaluate: true))?.contains("--base") == true)
        #expect(refusal(LogRequest(method: "gptq", base: "x", params: [RunLog.baseModelParam: .string("y")])) != nil)
        #expect(refusal(LogRequest(method: "gptq", base: "x", startedAt: "yesterday")) != nil)
        #expect(throws: LogInputError.self) { try RunLog.pairs(["bits=4", "bits=8"], option: "param") }
        #expect(throws: LogInputError.self) { try RunLog.metricValue("fast", key: "speed") }
        #expect(throws: LogInputError.self) { try RunLog.metricValue("nan", key: "speed") }
        #expect(try RunLog.metricValue("-1.5e3", key: "x") == -1500)
        #expect(RunLog.paramValue("nan") == .string("nan"))
        #expect(RunLog.paramValue("0x10") == .string("0x10"))
        #expect(RunLog.paramValue("") == .string(""))
    }

    @Test func fromLinesRecordsTheGoodOnesAndNamesTheBadOne() throws {
        let lines = [
            #"{"method": "gptq", "base": "m/base", "params": {"bits": 4, "damp": 0.01, "group": 128.0, "sym": true, "scheme": "W4A16"}, "metrics": {"perplexity": 11.5, "acc": 1}, "tags": {"tool": "x"}, "uid": "a1", "started_at": "2025-01-31T12:34:56Z", "ended_at": "2025-01-31T13:35:56.5+01:00"}"#,
            #"{"method": "awq", "base": "m/base", "metrics": {"perplexity": "low"}, "uid": "a2"}"#,
            "",
            #"{"method": "awq", "base": "m/base", "params": {"bits": 4, "bits": 3}}"#,
            #"{"method": "rtn", "base": "m/base", "experiment": "other", "name": "r\u00e9n \ud83d\ude00", "uid": "a3"}"#,
            #"{"method": "rtn", "base": "m/base", "colour": "red"}"#,
            #"not json"#,
        ]
        let url = folder.appending(path: "runs.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        let store = try store()
        let summary = try LogLines.record(contentsOf: url, store: store)
        #expect(summary.ids.count == 2)
        #expect(summary.refused.map(\.line) == [2, 4, 6, 7])
        #expect(summary.refused[0].reason.contains("perplexity") && summary.refused[0].reason.contains("not a number"))
        #expect(summary.refused[1].reason.contains("twice"))
        #expect(summary.refused[2].reason.contains("colour"))
        #expect(summary.description.hasPrefix("recorded 2 runs, 4 lines refused: 2 ("))

        let first = try store.show(run: summary.ids[0])
        #expect(value(first.params, "bits") == .int(4))
        #expect(value(first.params, "damp") == .double(0.01))
        #expect(value(first.params, "group") == .double(128))
        #expect(value(first.params, "sym") == .int(1))
        #expect(value(first.metrics, "perplexity") == .double(11.5))
        #expect(value(first.metrics, "acc") == .double(1))
        #expect(field(first, "uid") == .text("log:a1"))
        #expect(field(first, "started_at") == .text("2025-01-31T12:34:56.000Z"))
        #expect(field(first, "ended_at") == .text("2025-01-31T12:35:56.500Z"))
        let second = try store.show(run: summary.ids[1])
        #expect(field(second, "name") == .text("rén 😀"))
        #expect(field(second, "experiment") == .text("other"))

        // Logging the file again records nothing twice: the uid lines are known; the line
        // without a uid (none here is good) would be new.
        let again = try LogLines.record(contentsOf: url, store: store)
        #expect(again.ids.isEmpty && again.alreadyRecorded == [1, 5])
        #expect(again.refused.map(\.line) == [2, 4, 6, 7])
    }

    @Test func aLineKeepsTypesAndRefusesMalformedOrRepeatedKeys() throws {
        func parse(_ s: String) throws -> LogRequest { try LogLines.parse(ArraySlice(Array(s.utf8)), defaultExperiment: "default") }
        let request = try parse(#"{"method": "gptq", "base": "m", "params": {"bits": 4, "damp": 1.0, "big": 99999999999999999999, "sym": true, "tool": "x\n\""}, "metrics": {"ppl": -2.5e1, "n": 3}}"#)
        #expect(request.params == ["bits": .int(4), "damp": .double(1), "big": .double(1e20), "sym": .bool(true), "tool": .string("x\n\"")])
        #expect(request.metrics.map(\.key) == ["ppl", "n"] && request.metrics.map(\.value) == [-25, 3])
        for bad in ["{", #"{"a" 1}"#, "[1,]", "01", "tru", #""\x""#, "{} x", #""\ud800""#, "[]",
                    #"{"method": "a", "base": "m", "method": "b"}"#,
                    #"{"method": "a", "base": "m", "params": {"bits": 4, "bits": 8}}"#,
                    #"{"method": "a", "base": "m", "metrics": {"ppl": "n/a"}}"#] {
            #expect(throws: LogInputError.self, "\(bad)") { try parse(bad) }
        }
        #expect(throws: LogInputError.self) { try LogLines.parse(ArraySlice([0x7B, 0xFF, 0x7D]), defaultExperiment: "default") }
    }
}
