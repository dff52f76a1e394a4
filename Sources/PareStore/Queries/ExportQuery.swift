import GRDB

extension Store {
    /// One row per run (oldest first): run_id, name, method, status, then `params.<key>` and
    /// `metrics.<key>` (final values) for every key in the database, sorted. Rows stream into
    /// `sink` as they are read: three cursors (runs, params, metrics, all in run-id order) are
    /// merged by run id, so memory stays constant however many runs there are.
    /// The columns are the database's keys, so they are stable for a given database whatever
    /// the filter; the `method` param is the `method` column.
    public func export(filter: String? = nil, into sink: inout some TableSink) throws {
        let compiled = try CompiledFilter.compile(filter)
        try pool.read { db in
            let paramKeys = try String.fetchAll(db.cachedStatement(sql: SQLText.query("param_keys"))).filter { $0 != "method" }
            let metricKeys = try String.fetchAll(db.cachedStatement(sql: SQLText.query("metric_keys")))
            let paramSlot = Dictionary(uniqueKeysWithValues: paramKeys.enumerated().map { ($1, 4 + $0) })
            let metricSlot = Dictionary(uniqueKeysWithValues: metricKeys.enumerated().map { ($1, 4 + paramKeys.count + $0) })
            try sink.begin(columns: ["run_id", "name", "method", "status"]
                           + paramKeys.map { "params.\($0)" } + metricKeys.map { "metrics.\($0)" })

            let runs = try Row.fetchCursor(db, sql: SQLText.query("export_runs", filter: compiled),
                                           arguments: CompiledFilter.arguments(compiled, [:]))
            var params = KeyedCursor(try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("export_params"))))
            var metrics = KeyedCursor(try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("export_metrics"))))
            let width = 4 + paramKeys.count + metricKeys.count
            while let run = try runs.next() {
                let id: Int64 = run[0]
                var cells = [TableValue](repeating: .null, count: width)
                for i in 0..<4 { cells[i] = TableValue(run[i] as DatabaseValue) }
                try params.take(runID: id) { key, value in if let slot = paramSlot[key] { cells[slot] = value } }
                try metrics.take(runID: id) { key, value in if let slot = metricSlot[key] { cells[slot] = value } }
                try sink.row(cells)
            }
            try sink.end()
        }
    }

    /// The export as one table in memory (small databases and tests).
    public func exportTable(filter: String? = nil) throws -> ResultTable {
        var collector = TableCollector()
        try export(filter: filter, into: &collector)
        return collector.table
    }
}

/// A cursor of (run_id, key, value) rows in run-id order, read up to a given run.
private struct KeyedCursor {
    let cursor: RowCursor
    var pending: (runID: Int64, key: String, value: TableValue)?
    var done = false

    init(_ cursor: RowCursor) { self.cursor = cursor }

    /// Skips rows of runs before `runID`, hands over the rows of `runID`.
    mutating func take(runID: Int64, _ body: (String, TableValue) -> Void) throws {
        while true {
            if pending == nil {
                if done { return }
                guard let row = try cursor.next() else { done = true; return }
                pending = (runID: row[0], key: row[1], value: TableValue(row[2] as DatabaseValue))
            }
            guard let p = pending else { return }
            if p.runID > runID { return }
            if p.runID == runID { body(p.key, p.value) }
            pending = nil
        }
    }
}
