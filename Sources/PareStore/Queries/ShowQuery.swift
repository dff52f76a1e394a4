import Foundation
import GRDB

/// Everything recorded about one run.
public struct RunDetail: Sendable {
    /// The run's own fields (id, name, experiment, method, status, times, hashes, config…).
    public var fields: [(name: String, value: TableValue)]
    /// key, value (typed).
    public var params: ResultTable
    /// key, value (step 0), curve_points (how many steps > 0), measured_by (pare | user).
    public var metrics: ResultTable
    /// key, value, curve_points: what the user reported for a run Pare measured too.
    public var reportedMetrics: ResultTable
    /// name, encoding, dtype, shape, stored_bytes, blob_hash.
    public var tensors: ResultTable
    /// key, value: the run's labels (`pare tag`, `pare log --tag`).
    public var tags: ResultTable
    public var notes: [String]
    /// Why the run failed, when it did.
    public var error: String?

    public var status: String {
        if case .text(let s)? = fields.first(where: { $0.name == "status" })?.value { return s }
        return ""
    }

    /// The fields as a two-column table (field, value), for the tabular renderers.
    public var fieldTable: ResultTable {
        ResultTable(columns: ["field", "value"], rows: fields.map { [.text($0.name), $0.value] })
    }
}

extension RunDetail {
    /// One run: its row, params, metrics, tensors, tags, notes and error (`queries/show_*.sql`).
    public static func read(_ source: some RowSource, run id: Int64) throws -> RunDetail {
        let arguments = ["run_id": id.databaseValue]
        let runTable = try source.table("show_run", ["run_id": id.databaseValue, "interrupted": try source.interruptedArgument()])
        guard let row = runTable.rows.first else { throw try source.unknownRun(id) }
        var fields: [(name: String, value: TableValue)] = []
        var notes: [String] = []
        var error: String?
        for (name, value) in zip(runTable.columns, row) {
            switch (name, value) {
            case ("notes", .text(let json)):
                notes = (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? [json]
            case ("error", .text(let e)):
                error = e
            case ("error", _):
                break
            default:
                fields.append((name: name, value: value))
            }
        }
        return RunDetail(
            fields: fields,
            params: try source.table("show_params", arguments, columns: ["key", "value"]),
            metrics: try source.table("show_metrics", arguments, columns: ["key", "value", "curve_points", "measured_by"]),
            reportedMetrics: try source.table("show_reported_metrics", arguments, columns: ["key", "value", "curve_points"]),
            tensors: try source.table("show_tensors", arguments,
                                      columns: ["name", "encoding", "dtype", "shape", "stored_bytes", "blob_hash"]),
            tags: try source.table("show_tags", arguments, columns: ["key", "value"]),
            notes: notes, error: error)
    }
}

extension Store {
    /// One run (`RunDetail.read`).
    public func show(run id: Int64) throws -> RunDetail {
        try read { db in try RunDetail.read(SQLiteRows(db: db), run: id) }
    }
}
