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

extension Store {
    /// One run: its row, params, metrics, tensors, tags, notes and error (`queries/show_*.sql`).
    public func show(run id: Int64) throws -> RunDetail {
        try read { db in
            let runTable = try ResultTable.fetch(db, sql: SQLText.query("show_run"),
                                                 arguments: ["run_id": id, "interrupted": try Store.interruptedArgument(db)])
            guard let row = runTable.rows.first else { throw try Store.unknownRun(db, id) }
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
                params: try ResultTable.fetch(db, sql: SQLText.query("show_params"), arguments: ["run_id": id]),
                metrics: try ResultTable.fetch(db, sql: SQLText.query("show_metrics"), arguments: ["run_id": id]),
                reportedMetrics: try ResultTable.fetch(db, sql: SQLText.query("show_reported_metrics"), arguments: ["run_id": id]),
                tensors: try ResultTable.fetch(db, sql: SQLText.query("show_tensors"), arguments: ["run_id": id]),
                tags: try ResultTable.fetch(db, sql: SQLText.query("show_tags"), arguments: ["run_id": id]),
                notes: notes, error: error)
        }
    }
}
