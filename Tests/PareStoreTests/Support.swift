import Foundation
import PareTestSupport
import GRDB
import PareTensor
@testable import PareStore

/// A fresh database path under the temporary directory, unique per call.
func tempDBPath(_ label: String = "store") -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("pare-test-\(label)-\(UUID().uuidString).sqlite").path
}

func newStore(_ label: String = "store") throws -> Store {
    try Store(path: tempDBPath(label), create: true)
}

func start(_ method: String = "quant-weight", name: String? = nil, experiment: String = "default",
           config: [String: ConfigValue] = [:], parent: Int64? = nil) -> RunStart {
    RunStart(experiment: experiment, name: name, method: method, config: config,
             baseModel: ModelInfo(hash: String(repeating: "a", count: 64), name: "teacher",
                                  archJSON: #"{"arch":"mlp","dims":[64,256,128,10]}"#, params: 50_000, sizeBytes: 200_000),
             train: DatasetInfo(hash: String(repeating: "b", count: 64), name: "digits_train", rows: 1437, features: 64, classes: 10),
             test: DatasetInfo(hash: String(repeating: "c", count: 64), name: "digits_test", rows: 360, features: 64, classes: 10),
             parentRunID: parent, pareVersion: "0.1.0-test")
}

func outcome(_ metrics: [String: Double], tensors: [(name: String, tensor: EncodedTensor)] = [],
             notes: [String] = []) -> RunOutcome {
    RunOutcome(finalMetrics: metrics, tensors: tensors, notes: notes)
}

extension Store {
    /// One integer from raw SQL, for checking what the database holds.
    func count(_ sql: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    /// A fingerprint of the whole database (schema and row counts), to prove it unchanged.
    func fingerprint() throws -> String {
        try pool.read { db in
            let schema = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            var counts: [String] = []
            for t in ["experiments", "models", "datasets", "runs", "params", "metrics", "tensors", "blobs", "tags", "reported_metrics"] {
                counts.append("\(t)=\(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(t)") ?? -1)")
            }
            return schema.joined(separator: "\n") + "\n" + counts.joined(separator: " ")
        }
    }
}

/// The ids of the runs a filter selects, ascending.
func ids(_ store: Store, _ filter: String) throws -> [Int64] {
    try store.runs(filter: filter).column("id")!.compactMap { if case .int(let i) = $0 { i } else { nil } }.sorted()
}
