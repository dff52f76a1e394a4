import Foundation
import GRDB

/// MLflow's SQLite backend store (`mlflow server --backend-store-uri sqlite:///mlflow.db`), read
/// for `pare import mlflow --tracking-db`. Opened read-only: it never writes the file, so it
/// works on a read-only file and never disturbs the MLflow that owns it.
public final class MLflowTrackingDB: Sendable {
    /// The alembic revisions (`alembic_version.version_num`) of the MLflow releases this reader
    /// was tested against, and those releases. A database at another revision may have moved
    /// the columns read here, so it is refused rather than read wrongly.
    public static let knownSchemaVersions: [String: String] = [
        "0584bdc529eb": "MLflow 2.22.5",
        "dc11669786a5": "MLflow 3.17.2",
    ]

    /// The tables this reader needs.
    static let requiredTables = ["alembic_version", "experiments", "runs", "params", "metrics", "tags"]

    public let path: String
    /// Its alembic revision, one of `knownSchemaVersions`.
    public let schemaVersion: String
    private let queue: DatabaseQueue

    /// Opens and checks the file: an SQLite file, with MLflow's tables, at a known revision.
    /// `path` may also be the store's URI as MLflow takes it, `sqlite:///FILE`.
    public init(path given: String) throws {
        let path = given.hasPrefix("sqlite:///") ? String(given.dropFirst("sqlite:///".count)) : given
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MLflowError.missing(path: path, what: "MLflow tracking database")
        }
        if isDirectory.boolValue { throw MLflowError.notTrackingDB(path: path, reason: "it is a folder") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MLflowError.notTrackingDB(path: path, reason: "it cannot be read (permission denied)")
        }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard head == Data("SQLite format 3\0".utf8) else {
            throw MLflowError.notTrackingDB(path: path, reason: head.isEmpty ? "the file is empty" : "not an SQLite file")
        }

        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(Store.busyTimeout)
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            schemaVersion = try queue.read { db in
                let tables = Set(try String.fetchAll(db, sql: SQLText.query("mlflow_tables")))
                let missing = Self.requiredTables.filter { !tables.contains($0) }
                if !missing.isEmpty {
                    throw MLflowError.notTrackingDB(path: path, reason: "it has no \(missing.joined(separator: ", ")) "
                        + (missing.count == 1 ? "table" : "tables"))
                }
                guard let version = try String.fetchOne(db, sql: SQLText.query("mlflow_schema_version")) else {
                    throw MLflowError.notTrackingDB(path: path, reason: "its alembic_version table is empty")
                }
                return version
            }
        } catch let error as DatabaseError {
            throw StoreError.from(error, path: path)
        }
        guard Self.knownSchemaVersions[schemaVersion] != nil else {
            throw MLflowError.unknownSchema(path: path, version: schemaVersion, known: Self.knownVersionsText)
        }
    }

    static var knownVersionsText: [String] {
        knownSchemaVersions.sorted { $0.key < $1.key }.map { "\($0.key) from \($0.value)" }
    }

    /// The names of the live experiments, in id order.
    public func experiments() throws -> [String] {
        try read { db in try Self.experiments(db).map(\.name) }
    }

    /// The live runs of the experiment named `experiment`, or of every live experiment when nil,
    /// ordered by start time.
    public func runs(experiment: String?) throws -> [MLflowRun] {
        try read { db in
            let all = try Self.experiments(db)
            let chosen = experiment.map { name in all.filter { $0.name == name } } ?? all
            if let experiment, chosen.isEmpty { throw MLflowError.unknownExperiment(experiment, known: all.map(\.name)) }
            let ids: StatementArguments = ["experiment_ids": "[" + chosen.map { String($0.id) }.joined(separator: ",") + "]"]

            var params: [String: [String: String]] = [:], tags: [String: [String: String]] = [:]
            var metrics: [String: [MLflowMetricPoint]] = [:]
            for row in try Row.fetchAll(db, sql: SQLText.query("mlflow_params"), arguments: ids) {
                params[row["run_uuid"], default: [:]][row["key"]] = row["value"] ?? ""
            }
            for row in try Row.fetchAll(db, sql: SQLText.query("mlflow_tags"), arguments: ids) {
                tags[row["run_uuid"], default: [:]][row["key"]] = row["value"] ?? ""
            }
            for row in try Row.fetchAll(db, sql: SQLText.query("mlflow_metrics"), arguments: ids) {
                let isNaN: Bool = row["is_nan"] ?? false
                metrics[row["run_uuid"], default: []].append(MLflowMetricPoint(
                    key: row["key"], value: isNaN ? .nan : row["value"] ?? .nan,
                    timestamp: row["timestamp"] ?? 0, step: row["step"] ?? 0))
            }
            return try Row.fetchAll(db, sql: SQLText.query("mlflow_runs"), arguments: ids).map { row in
                let id: String = row["run_uuid"]
                let status: String = row["status"] ?? ""
                guard let known = MLflowRunStatus(rawValue: status) else {
                    throw MLflowError.notTrackingDB(path: path, reason: "run \(id) has an unknown status '\(status)'")
                }
                let name: String? = row["name"]
                return MLflowRun(id: id, experiment: row["experiment"], name: name?.isEmpty == false ? name : nil,
                                 status: known, startTime: row["start_time"], endTime: row["end_time"],
                                 params: params[id] ?? [:], metrics: metrics[id] ?? [], tags: tags[id] ?? [:])
            }
        }
    }

    private static func experiments(_ db: Database) throws -> [(id: Int64, name: String)] {
        try Row.fetchAll(db, sql: SQLText.query("mlflow_experiments")).map { (id: $0["experiment_id"], name: $0["name"]) }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as DatabaseError {
            throw StoreError.from(error, path: path)
        }
    }
}
