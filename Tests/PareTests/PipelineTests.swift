import Foundation
import PareNN
import PareStore
import PareTensor
import Testing
@testable import Pare

/// Pipelines: lineage, stage configs, combined encodings, recipes.
@Suite struct PipelineTests {
    static func request(_ method: String, _ settings: [String: String] = [:]) -> RecordRequest {
        RecordRequest(modelPath: Fixtures.teacher, testPath: Fixtures.digitsTest, method: method,
                      settings: settings, measureSpeed: false)
    }

    static func newStore() throws -> Store {
        try Store(path: Fixtures.scratch().appending(path: "pare.sqlite").path, create: true)
    }

    static func record(_ store: Store, _ method: String, _ settings: [String: String]) throws -> [Int64] {
        let spec = try PipelineSpec.parse(method: method, settings: settings)
        return try Pipeline.record(try Pipeline.prepare(request(method, settings), spec: spec), store: store)
    }

    static func field(_ store: Store, _ run: Int64, _ name: String) throws -> TableValue? {
        try store.show(run: run).fields.first { $0.name == name }?.value
    }

    @Test func lineageConfigsAndCombinedSize() throws {
        let store = try Self.newStore()
        let prune = try Self.record(store, "prune-magnitude", ["amount": "0.5"])
        let quant = try Self.record(store, "quant-weight", ["bits": "4"])
        let ids = try Self.record(store, "prune-magnitude+quant-weight", ["prune.amount": "0.5", "quant.bits": "4"])
        #expect(prune.count == 1 && quant.count == 1 && ids.count == 2)

        // Lineage: stage 2's parent is stage 1; stage 1 has none.
        #expect(try Self.field(store, ids[1], "parent_run_id") == .int(ids[0]))
        #expect(try Self.field(store, ids[0], "parent_run_id") == .null)
        // Stage configs: the pipeline, the stage, and (in stage 2) stage 1's settings.
        let params1 = try store.show(run: ids[0]).params, params2 = try store.show(run: ids[1]).params
        func param(_ t: ResultTable, _ key: String) -> TableValue? { t.rows.first { $0.first == .text(key) }?.last }
        #expect(param(params1, "pipeline") == .text("prune-magnitude+quant-weight"))
        #expect(param(params1, "stage") == .int(1))
        #expect(param(params2, "stage") == .int(2))
        #expect(param(params2, "bits") == .int(4))
        #expect(param(params2, "prune.amount") == .double(0.5))
        #expect(param(params2, "method") == .text("quant-weight"))

        // Encodings combine: the pipeline is smaller than either stage alone, and it is measured
        // against the original model.
        let size = { (id: Int64) in try store.finalMetrics(run: id)["size_bytes"]! }
        let final = try store.finalMetrics(run: ids[1])
        #expect(try size(ids[1]) < size(prune[0]))
        #expect(try size(ids[1]) < size(quant[0]))
        #expect(final["compression_ratio"]! == final["base_size_bytes"]! / final["size_bytes"]!)
        #expect(final["accuracy"]! > 0.9)
        #expect(final["weight_rel_error"]! > (try store.finalMetrics(run: quant[0])["weight_rel_error"]!))
        let tensors = try store.tensors(run: ids[1])
        #expect(tensors.filter { $0.name.hasSuffix(".weight") }.allSatisfy { $0.tensor.encoding == "sparse-quantized" })

        // export-model of the pipeline run reloads and evaluates to the recorded accuracy.
        let rebuilt = try StoredModel.load(run: ids[1], from: store)
        let file = Fixtures.scratch().appending(path: "pipeline.safetensors")
        try TeacherTraining.write(rebuilt, to: file)
        let reloaded = try ModelIO.load(contentsOf: file)
        let test = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTest))
        #expect(Evaluator.accuracy(reloaded.model, test) == final["accuracy"]!)
    }

    @Test func stagePrefixes() throws {
        let spec = try PipelineSpec.parse(method: "prune-magnitude+quant-weight",
                                          settings: ["prune.amount": "0.5", "quant-weight.bits": "4", "2.scheme": "affine"])
        #expect(spec.stages == [.init(method: "prune-magnitude", settings: ["amount": "0.5"]),
                                .init(method: "quant-weight", settings: ["bits": "4", "scheme": "affine"])])
        // Two stages of one family: the family is ambiguous, the method name or number is not.
        let twice = try PipelineSpec.parse(method: "prune-nm+prune-magnitude", settings: ["prune-nm.n": "2", "2.amount": "0.3"])
        #expect(twice.prefixes(ofStage: 0) == ["prune-nm", "1"])
        #expect(twice.stages[1].settings == ["amount": "0.3"])
        for (method, settings) in [("prune-magnitude+quant-weight", ["amount": "0.5"]),
                                   ("prune-magnitude+quant-weight", ["lowrank.rank": "2"]),
                                   ("prune-nm+prune-magnitude", ["prune.amount": "0.5"]),
                                   ("prune-magnitude+quant-wait", [:]), ("prune-magnitude+", [:])] {
            #expect(throws: PareError.self) { try PipelineSpec.parse(method: method, settings: settings) }
        }
        // A bad stage setting or order fails before anything is recorded.
        #expect(throws: PareError.self) {
            try Pipeline.prepare(Self.request("x"), spec: PipelineSpec.parse(method: "prune-magnitude+quant-weight", settings: ["quant.bits": "9"]))
        }
        #expect(throws: PareError.self) {
            try Pipeline.prepare(Self.request("x"), spec: PipelineSpec.parse(method: "quant-weight+prune-sparsegpt", settings: [:]))
        }
    }

    @Test func recipes() throws {
        let good = #"{"stages":[{"method":"prune-magnitude","settings":{"amount":0.5,"layers":["fc1","fc2"]}},{"method":"quant-weight","settings":{"bits":4,"scheme":"affine"}}]}"#
        let spec = try PipelineSpec.recipe(data: Data(good.utf8), source: "r.json")
        #expect(spec.name == "prune-magnitude+quant-weight")
        #expect(spec.stages[0].settings == ["amount": "0.5", "layers": "fc1,fc2"])
        #expect(spec.stages[1].settings == ["bits": "4", "scheme": "affine"])
        let bad: [(String, String)] = [
            (#"{"stages":[{"method":"prune-magic"}]}"#, "prune-magic"),
            (#"{"stages":[]}"#, "empty"),
            (#"{"stage":[{"method":"none"}]}"#, "stage"),
            (#"{"stages":[{"method":"none","setings":{}}]}"#, "setings"),
            (#"{"stages":[{"settings":{}}]}"#, "method"),
            (#"{"stages":[{"method":"none","settings":{"a":{"b":1}}}]}"#, "'a'"),
            (#"[1,2]"#, "object"),
            ("not json", "JSON"),
        ]
        for (text, word) in bad {
            do {
                _ = try PipelineSpec.recipe(data: Data(text.utf8), source: "r.json")
                Issue.record("accepted \(text)")
            } catch let error as PareError {
                #expect(error.description.contains(word), "\(error)")
                #expect(error.description.hasPrefix("recipe r.json"))
            }
        }
    }
}
