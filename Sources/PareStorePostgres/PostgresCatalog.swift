import GRDB
import PareStore

/// `pare show`, `compare`, `export`, `tag`, `note` and `rm` on a PostgreSQL store: the same
/// assembly code as the SQLite file's (RunDetail.read, Comparison.read, RunExport.stream,
/// RunEdits) over this store's rows, so both answer with the same rows.
extension PostgresStore: RunEditor {
    public func show(run id: Int64) throws -> RunDetail {
        try reading { rows in try RunDetail.read(rows, run: id) }
    }

    public func compare(runs ids: [Int64], allParams: Bool = false) throws -> Comparison {
        try reading { rows in try Comparison.read(rows, runs: ids, allParams: allParams) }
    }

    /// In one read-only transaction, whose cursors (`PostgresRows.streamedRows`) read the runs,
    /// params and metrics a slice at a time.
    public func export<Sink: TableSink>(filter: String? = nil, columns: [String]? = nil, into sink: inout Sink) throws {
        let compiled = try CompiledFilter.compile(filter, dialect: .postgresql)
        try reading { rows in try RunExport.stream(rows, filter: compiled, columns: columns, into: &sink) }
    }

    public func runIDs(matching filter: String) throws -> [Int64] {
        let compiled = try CompiledFilter.compile(filter, dialect: .postgresql)
        return try reading { rows in try rows.runIDs(matching: compiled) }
    }

    public func removalPlan(_ ids: [Int64]) throws -> RunRemoval {
        try reading { rows in try RunEdits.removal(rows, ids) }
    }

    public func tag(runs: [Int64], set: [String: String], remove: [String] = []) throws {
        try RunEdits.checkTags(set: set, remove: remove)
        try writing(runs: 0) { writer in
            try RunEdits.tag(PostgresRows(session: session), writer, runs: runs, set: set, remove: remove)
        }
    }

    @discardableResult
    public func note(run id: Int64, _ text: String) throws -> Int {
        try writing(runs: 0) { writer in try RunEdits.note(PostgresRows(session: session), writer, run: id, text) }
    }

    @discardableResult
    public func removeRuns(_ ids: [Int64]) throws -> RunRemoval {
        try writing(runs: 0) { writer in try RunEdits.remove(PostgresRows(session: session), writer, ids) }
    }

    /// `RunEdits.collectGarbage` in one transaction, after locking out the writers that could
    /// name what it deletes (queries/postgresql/lock_for_gc.pgsql). The server's autovacuum,
    /// not a VACUUM of Pare's, makes the space reusable.
    @discardableResult
    public func collectGarbage(dryRun: Bool = false) throws -> GarbageReport {
        var base = GarbageReport(dryRun: dryRun)
        if dryRun { return try reading { rows in try RunEdits.collectGarbage(rows, nil as PostgresRecordWriter?, report: base) } }
        base.reclaim = .byServer
        let report = try writing(runs: 0) { writer in
            try writer.execute("lock_for_gc", [:])
            return try RunEdits.collectGarbage(PostgresRows(session: session), writer, report: base)
        }
        // This process's cache of rows it need not write again must not outlive them.
        if !report.models.isEmpty || !report.datasets.isEmpty { known.forgetHashes() }
        return report
    }

    /// `body` over this store's rows in one read-only transaction (one snapshot, as a SQLite
    /// read sees). Takes the lock.
    func reading<T>(_ body: (PostgresRows) throws -> T) throws -> T {
        try lock.withLock {
            try session.transaction {
                try session.table("SET TRANSACTION READ ONLY")
                return try body(PostgresRows(session: session))
            }
        }
    }
}

/// A PostgreSQL session's rows for the shared assemblies (`RowSource`). The caller holds the
/// store's lock.
struct PostgresRows: RowSource {
    let session: PostgresSession

    func rows(_ query: String, filter: CompiledFilter?, ascending: Bool?, _ arguments: [String: DatabaseValue],
              columns: [String]) throws -> RowStream {
        let table = Self.typedValues(try session.table(SQLText.postgresQuery(query, filter: filter, ascending: ascending),
                                                       arguments, columns: columns))
        var next = 0
        return RowStream(columns: table.columns) {
            guard next < table.rows.count else { return nil }
            defer { next += 1 }
            return table.rows[next]
        }
    }

    /// Rows fetched per round trip by `streamedRows`.
    static let fetchSize = 2_000

    /// The answer through a server-side cursor, `fetchSize` rows a round trip, so a large one is
    /// never held whole (postgres-nio's call collects every row it is sent). The caller is in a
    /// transaction, which closes the cursor when it ends.
    func streamedRows(_ query: String, filter: CompiledFilter?, _ arguments: [String: DatabaseValue],
                      columns: [String]) throws -> RowStream {
        let cursor = "pare_\(query)"   // a query file's name: letters and underscores
        try session.table("DECLARE \(cursor) NO SCROLL CURSOR FOR " + SQLText.postgresQuery(query, filter: filter), arguments)
        var slice: [[TableValue]] = []
        var next = 0
        var done = false
        let session = session
        return RowStream(columns: columns) {
            if next == slice.count {
                if done { return nil }
                slice = Self.typedValues(try session.table("FETCH \(Self.fetchSize) FROM \(cursor)")).rows
                next = 0
                done = slice.count < Self.fetchSize
                if slice.isEmpty { return nil }
            }
            defer { next += 1 }
            return slice[next]
        }
    }

    func interruptedRunIDs() throws -> [Int64] { RunOwner.interrupted(try session.run("running_runs")) }

    /// A param's value comes back from its typed column (value_integer, value_real or
    /// value_text, exactly one not null) as the one `value` column SQLite's queries answer.
    static func typedValues(_ table: ResultTable) -> ResultTable {
        guard let i = table.columns.firstIndex(of: "value_integer"), i + 2 < table.columns.count,
              table.columns[i + 1] == "value_real", table.columns[i + 2] == "value_text" else { return table }
        var out = ResultTable(columns: Array(table.columns[..<i]) + ["value"] + Array(table.columns[(i + 3)...]))
        out.rows = table.rows.map { row in
            let value = row[i...(i + 2)].first { $0 != .null } ?? .null
            return Array(row[..<i]) + [value] + Array(row[(i + 3)...])
        }
        return out
    }
}
