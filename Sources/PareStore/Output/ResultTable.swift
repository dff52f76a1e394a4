import GRDB

/// One cell of a query result.
public enum TableValue: Equatable, Sendable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .text(s)
        case .blob(let b): self = .text("<\(b.count) bytes>")
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}

/// A query's answer: named columns and rows of cells, ready for any renderer.
public struct ResultTable: Equatable, Sendable {
    public var columns: [String]
    public var rows: [[TableValue]]

    public init(columns: [String], rows: [[TableValue]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The cells of one column.
    public func column(_ name: String) -> [TableValue]? {
        columns.firstIndex(of: name).map { i in rows.map { $0[i] } }
    }
}

/// Receives a table row by row, so large results (export at 100k runs) stream in constant memory.
public protocol TableSink {
    mutating func begin(columns: [String]) throws
    mutating func row(_ values: [TableValue]) throws
    mutating func end() throws
}

/// Collects rows into a `ResultTable`.
public struct TableCollector: TableSink {
    public private(set) var table = ResultTable(columns: [])
    public init() {}
    public mutating func begin(columns: [String]) { table.columns = columns }
    public mutating func row(_ values: [TableValue]) { table.rows.append(values) }
    public mutating func end() {}
}

extension ResultTable {
    /// Streams this table into a sink.
    public func write(to sink: inout some TableSink) throws {
        try sink.begin(columns: columns)
        for row in rows { try sink.row(row) }
        try sink.end()
    }

    static func fetch(_ db: Database, sql: String, arguments: StatementArguments) throws -> ResultTable {
        let statement = try db.makeStatement(sql: sql)
        var table = ResultTable(columns: statement.columnNames)
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try cursor.next() {
            table.rows.append(row.databaseValues.map(TableValue.init))
        }
        return table
    }
}

extension ResultTable {
    /// The table without those of `names` that are empty in every row: a person's view of runs
    /// shows perplexity for language models and accuracy for classifiers, not a column of dashes
    /// (scripts get every column, so their schema does not depend on the data).
    public func droppingEmptyColumns(among names: [String]) -> ResultTable {
        guard !rows.isEmpty else { return self }
        let drop = Set(columns.indices.filter { i in names.contains(columns[i]) && rows.allSatisfy { $0[i] == .null } })
        guard !drop.isEmpty else { return self }
        let keep = columns.indices.filter { !drop.contains($0) }
        return ResultTable(columns: keep.map { columns[$0] }, rows: rows.map { row in keep.map { row[$0] } })
    }
}
