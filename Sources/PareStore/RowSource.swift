import GRDB

/// One query's rows, read one at a time (a cursor in SQLite; PostgreSQL's answer, already read).
public struct RowStream {
    public let columns: [String]
    private let nextRow: () throws -> [TableValue]?

    public init(columns: [String], next: @escaping () throws -> [TableValue]?) {
        self.columns = columns
        nextRow = next
    }

    public func next() throws -> [TableValue]? { try nextRow() }

    /// Every remaining row, as a table.
    public func table() throws -> ResultTable {
        var table = ResultTable(columns: columns)
        while let row = try next() { table.rows.append(row) }
        return table
    }
}

/// Where the reads that both stores answer alike — `show`, `compare`, `export`, the checks of
/// `tag`, `note` and `rm` — get their rows: the same assembly code over either store's query
/// files (ShowQuery.swift, CompareQuery.swift, ExportQuery.swift, Deletion.swift).
public protocol RowSource {
    /// The rows of query file `query` with `filter` spliced in. `columns` names the columns of
    /// an empty answer (PostgreSQL describes none); a typed param value (PostgreSQL's
    /// value_integer, value_real and value_text) comes back as one `value` column.
    /// `ascending` sets the query's /* order */ marker, where it has one.
    func rows(_ query: String, filter: CompiledFilter?, ascending: Bool?, _ arguments: [String: DatabaseValue],
              columns: [String]) throws -> RowStream
    /// `rows`, for an answer that may be large (`export`'s): read a slice at a time where the
    /// store can (PostgreSQL, through a cursor), so memory does not grow with the runs.
    func streamedRows(_ query: String, filter: CompiledFilter?, _ arguments: [String: DatabaseValue],
                      columns: [String]) throws -> RowStream
    /// The ids of running runs whose owner is gone (`Store.interruptedRunIDs`).
    func interruptedRunIDs() throws -> [Int64]
}

extension RowSource {
    public func rows(_ query: String, filter: CompiledFilter?, _ arguments: [String: DatabaseValue],
                     columns: [String]) throws -> RowStream {
        try rows(query, filter: filter, ascending: nil, arguments, columns: columns)
    }

    public func table(_ query: String, _ arguments: [String: DatabaseValue] = [:], columns: [String] = []) throws -> ResultTable {
        try rows(query, filter: nil, arguments, columns: columns).table()
    }

    /// The `:interrupted` argument of the queries that show a run's status.
    public func interruptedArgument() throws -> DatabaseValue {
        CanonicalJSON.array(try interruptedRunIDs().map { Int($0) }).databaseValue
    }

    /// The first column of every row, as integers.
    func integers(_ query: String, _ arguments: [String: DatabaseValue]) throws -> [Int64] {
        try table(query, arguments).rows.compactMap { if case .int(let v)? = $0.first { v } else { nil } }
    }

    /// Throws `StoreError.unknownRun` (naming the ids present) when there is no run `id`.
    public func requireRun(_ id: Int64) throws {
        if try table("run_status", ["id": id.databaseValue]).rows.isEmpty { throw try unknownRun(id) }
    }

    /// "no run with id N (the database has runs 1…M)".
    public func unknownRun(_ id: Int64) throws -> StoreError {
        let row = try table("run_id_range").rows.first
        if case .int(let first)? = row?[0], case .int(let last)? = row?[1] { return .unknownRun(id: id, existing: first...last) }
        return .unknownRun(id: id, existing: nil)
    }

    /// The ids of the runs `filter` selects, ascending (the `--where` of `tag` and `rm`).
    public func runIDs(matching compiled: CompiledFilter?) throws -> [Int64] {
        var arguments = compiled?.arguments ?? [:]
        arguments["interrupted"] = try interruptedArgument()
        return try rows("matching_run_ids", filter: compiled, arguments, columns: ["id"]).table().rows
            .compactMap { if case .int(let v)? = $0.first { v } else { nil } }
    }

    /// The runs stored as 'running' whose recording process is alive (not interrupted), among
    /// `ids` or all when nil, ascending.
    func liveRuns(among ids: Set<Int64>? = nil) throws -> [(id: Int64, host: String?, pid: Int64?)] {
        let running = try table("running_runs")
        let interrupted = Set(RunOwner.interrupted(running))
        let column = Dictionary(uniqueKeysWithValues: running.columns.enumerated().map { ($1, $0) })
        var out: [(id: Int64, host: String?, pid: Int64?)] = []
        for row in running.rows {
            guard case .int(let id) = row[column["id"]!], !interrupted.contains(id), ids?.contains(id) ?? true else { continue }
            let host = if case .text(let h) = row[column["owner_host"]!] { h } else { String?.none }
            let pid = if case .int(let p) = row[column["owner_pid"]!] { p } else { Int64?.none }
            out.append((id: id, host: host, pid: pid))
        }
        return out.sorted { $0.id < $1.id }
    }
}

/// A SQLite store's rows, inside one of its reads or writes.
struct SQLiteRows: RowSource {
    let db: Database

    func rows(_ query: String, filter: CompiledFilter?, ascending: Bool?, _ arguments: [String: DatabaseValue],
              columns: [String]) throws -> RowStream {
        let sql = SQLText.query(query, filter: filter, ascending: ascending)
        let statement = filter == nil ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
        return RowStream(columns: statement.columnNames) {
            try cursor.next().map { $0.databaseValues.map(TableValue.init) }
        }
    }

    /// A SQLite cursor already reads a row at a time.
    func streamedRows(_ query: String, filter: CompiledFilter?, _ arguments: [String: DatabaseValue],
                      columns: [String]) throws -> RowStream {
        try rows(query, filter: filter, arguments, columns: columns)
    }

    func interruptedRunIDs() throws -> [Int64] { try Store.interruptedRunIDs(db) }
}
