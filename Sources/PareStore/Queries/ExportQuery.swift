import GRDB
import PareTensor

extension Store {
    /// Every run as one row (`RunExport.stream`), streamed into `sink`.
    public func export(filter: String? = nil, columns selected: [String]? = nil, into sink: inout some TableSink) throws {
        let compiled = try CompiledFilter.compile(filter)
        try read { db in try RunExport.stream(SQLiteRows(db: db), filter: compiled, columns: selected, into: &sink) }
    }

    /// The export as one table in memory (small databases and tests).
    public func exportTable(filter: String? = nil, columns: [String]? = nil) throws -> ResultTable {
        var collector = TableCollector()
        try export(filter: filter, columns: columns, into: &collector)
        return collector.table
    }
}

/// `pare export`'s assembly, the same over either store.
public enum RunExport {
    /// One row per run (oldest first): run_id, name, method, status, then `params.<key>` and
    /// `metrics.<key>` (final values) for every key in the database, sorted. Rows stream into
    /// `sink` as they are read: three cursors (runs, params, metrics, all in run-id order) are
    /// merged by run id, so memory stays constant however many runs there are (SQLite's
    /// cursors; PostgreSQL's, a slice at a time).
    /// The columns are the database's keys, so they are stable for a given database whatever
    /// the filter; the `method` param is the `method` column.
    /// - Parameter columns: only these columns, in this order (`run_id,method,metrics.accuracy`);
    ///   a vocabulary metric the database lacks is an empty column; any other unknown name, or
    ///   one given twice, is an error listing the known columns.
    public static func stream(_ source: some RowSource, filter compiled: CompiledFilter?, columns selected: [String]?,
                              into sink: inout some TableSink) throws {
        func keys(_ query: String) throws -> [String] {
            try source.table(query, columns: ["key"]).rows.compactMap { if case .text(let k)? = $0.first { k } else { nil } }
        }
        let paramKeys = try keys("param_keys").filter { $0 != "method" }
        let metricKeys = try keys("metric_keys")
        let runColumns = ["run_id", "name", "method", "status"]
        let all = runColumns + paramKeys.map { "params.\($0)" } + metricKeys.map { "metrics.\($0)" }
        let columns = try selected.map { try checkedColumns($0, all: all) } ?? all
        let slot = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        let runSlots = runColumns.map { slot[$0] }
        var paramSlot: [String: Int] = [:], metricSlot: [String: Int] = [:]
        for (name, i) in slot {
            if name.hasPrefix("params.") { paramSlot[String(name.dropFirst(7))] = i }
            if name.hasPrefix("metrics.") { metricSlot[String(name.dropFirst(8))] = i }
        }
        try sink.begin(columns: columns)

        var arguments = compiled?.arguments ?? [:]
        arguments["interrupted"] = try source.interruptedArgument()
        let runs = try source.streamedRows("export_runs", filter: compiled, arguments, columns: runColumns)
        // Only read the params or metrics when a column needs them.
        var params = paramSlot.isEmpty ? nil
            : KeyedCursor(try source.streamedRows("export_params", filter: nil, [:], columns: ["run_id", "key", "value"]))
        var metrics = metricSlot.isEmpty ? nil
            : KeyedCursor(try source.streamedRows("export_metrics", filter: nil, [:], columns: ["run_id", "key", "value"]))
        let width = columns.count
        while let run = try runs.next() {
            guard case .int(let id) = run[0] else { continue }
            var cells = [TableValue](repeating: .null, count: width)
            for (i, s) in runSlots.enumerated() { if let s { cells[s] = run[i] } }
            try params?.take(runID: id) { key, value in if let s = paramSlot[key] { cells[s] = value } }
            try metrics?.take(runID: id) { key, value in if let s = metricSlot[key] { cells[s] = value } }
            try sink.row(cells)
        }
        try sink.end()
    }

    /// `--columns` checked against the export's columns (plus the vocabulary's metrics).
    static func checkedColumns(_ names: [String], all: [String]) throws -> [String] {
        let known = all + MetricVocabulary.all.map { "metrics.\($0.name)" }.filter { !all.contains($0) }
        let knownSet = Set(known)
        var seen = Set<String>()
        guard !names.isEmpty else { throw StoreError.invalidQuery("--columns names no column; known: \(known.joined(separator: ", "))") }
        for name in names {
            guard knownSet.contains(name) else {
                throw StoreError.invalidQuery("unknown column '\(name)'; known: \(known.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw StoreError.invalidQuery("column '\(name)' is listed twice") }
        }
        return names
    }
}

/// A cursor of (run_id, key, value) rows in run-id order, read up to a given run.
private struct KeyedCursor {
    let cursor: RowStream
    var pending: (runID: Int64, key: String, value: TableValue)?
    var done = false

    init(_ cursor: RowStream) { self.cursor = cursor }

    /// Skips rows of runs before `runID`, hands over the rows of `runID`.
    mutating func take(runID: Int64, _ body: (String, TableValue) -> Void) throws {
        while true {
            if pending == nil {
                if done { return }
                guard let row = try cursor.next() else { done = true; return }
                guard case .int(let id) = row[0], case .text(let key) = row[1] else { continue }
                pending = (runID: id, key: key, value: row[2])
            }
            guard let p = pending else { return }
            if p.runID > runID { return }
            if p.runID == runID { body(p.key, p.value) }
            pending = nil
        }
    }
}
