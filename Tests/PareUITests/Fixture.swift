import Foundation
import PareStore
import PareTensor

/// A small record to serve, written with the store API: 6 runs of 3 methods with known sizes
/// and accuracies (so the expected orders and frontier are hand-checkable), a pipeline of two
/// stages, a training curve, a stored tensor, a note and a failed run.
///
/// id method       accuracy size_bytes  notes
///  1 none         0.95     200000      the base model
///  2 quant-weight 0.94      50000      int8
///  3 quant-weight 0.90      25000      int4; curve accuracy 0.5, 0.8, 0.9 at steps 1-3
///  4 prune        0.85     100000      next stage of run 3 (parent 3); dominated by 2
///  5 prune        0.70      10000      smallest
///  6 prune        —         —          failed: "out of memory"
enum Fixture {
    static func path(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pare-ui-\(label)-\(UUID().uuidString).sqlite").path
    }

    static func start(_ method: String, name: String, bits: Int? = nil, parent: Int64? = nil) -> RunStart {
        var config: [String: ConfigValue] = [:]
        if let bits { config["bits"] = .int(bits) }
        return RunStart(experiment: "ui", name: name, method: method, config: config,
                        baseModel: ModelInfo(hash: String(repeating: "a", count: 64), name: "teacher",
                                             archJSON: #"{"arch":"mlp","dims":[64,16,10]}"#, params: 1200, sizeBytes: 200_000),
                        test: DatasetInfo(hash: String(repeating: "c", count: 64), name: "digits_test", rows: 360, features: 64, classes: 10),
                        parentRunID: parent, pareVersion: "0.1.0-test")
    }

    /// Writes the record, closes the writer (so the file rests alone, as after a sweep) and returns its path.
    static func make(_ label: String = "site") throws -> String {
        let path = path(label)
        let store = try Store(path: path, create: true)
        defer { store.close() }
        func final(_ m: [String: Double]) -> [(key: String, value: Double, step: Int)] {
            m.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value, step: 0) }
        }
        _ = try store.record(start("none", name: "base"), RunOutcome(metrics: final(["accuracy": 0.95, "size_bytes": 200_000])))
        _ = try store.record(start("quant-weight", name: "int8", bits: 8), RunOutcome(metrics: final(["accuracy": 0.94, "size_bytes": 50_000])))
        let tensor = EncodedTensor(encoding: "dense", shape: [2, 2], payload: Array(repeating: 0, count: 16))
        let three = try store.record(start("quant-weight", name: "int4", bits: 4), RunOutcome(
            metrics: final(["accuracy": 0.90, "size_bytes": 25_000]) + [(key: "accuracy", value: 0.5, step: 1),
                                                                         (key: "accuracy", value: 0.8, step: 2),
                                                                         (key: "accuracy", value: 0.9, step: 3)],
            tensors: [(name: "layers.0.weight", tensor: tensor)], notes: ["int4 <b>group</b> 32"]))
        _ = try store.record(start("prune", name: "pruned-after-int4", parent: three),
                             RunOutcome(metrics: final(["accuracy": 0.85, "size_bytes": 100_000])))
        _ = try store.record(start("prune", name: "tiny"), RunOutcome(metrics: final(["accuracy": 0.70, "size_bytes": 10_000])))
        let failed = try store.beginRun(start("prune", name: "oom"))
        try store.failRun(failed, error: "out of memory")
        return path
    }

    /// Records one more finished run into the database at `path` (another process's sweep).
    static func addRun(_ path: String, name: String) throws {
        let store = try Store(path: path, create: false)
        defer { store.close() }
        _ = try store.record(start("prune", name: name), RunOutcome(metrics: [(key: "accuracy", value: 0.5, step: 0),
                                                                              (key: "size_bytes", value: 5_000, step: 0)]))
    }
}
