import GRDB
import PareStore
import PareTensor

/// `RunWriter`'s statements on a PostgreSQL session, inside the store's transaction.
///
/// Every statement is a round trip to the server, and a run is some twenty rows, so the rows a
/// batch writes most — runs, params, metrics, reported metrics, tags — are held and written
/// together, one statement per table (`queries/postgresql/*_batch.pgsql`), with each run's id
/// reserved from the sequence up front. Anything else (an experiment, a model, a blob, a tensor)
/// is written at once, after the held rows, so each row still follows what it refers to.
/// `flush` writes what is held; the store calls it before committing.
final class PostgresRecordWriter: RecordWriting {
    let session: PostgresSession
    /// How many runs the batch will insert, so their ids are reserved in one statement.
    private var runsToCome: Int
    private var reservedIDs: ArraySlice<Int64> = []
    /// The held rows of each batched query, written in this order: a run before its rows.
    private static let batched = ["record_run", "record_param", "record_metric", "record_reported_metric", "record_tag"]
    private var held: [String: [[String: DatabaseValue]]] = [:]
    /// Rows per statement: a batch's JSON stays a few megabytes.
    static let rowsPerStatement = 10_000

    /// `reserved`: the batch's run ids, reserved already (`PostgresStore.reserveRunIDs`).
    init(session: PostgresSession, runs: Int, reserved: [Int64] = []) {
        self.session = session
        runsToCome = runs
        reservedIDs = reserved[...]
    }

    func execute(_ query: String, _ arguments: [String: DatabaseValue]) throws {
        if Self.batched.contains(query) {
            held[query, default: []].append(arguments)
            return
        }
        try flush()
        try session.run(query, arguments)
    }

    /// `record_run`: the run's row is held, under the next reserved id.
    func insert(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64 {
        precondition(query == "record_run", "only record_run inserts a row whose id is needed")
        if reservedIDs.isEmpty { reservedIDs = try session.reserveRunIDs(max(runsToCome, 1))[...] }
        let id = reservedIDs.removeFirst()
        runsToCome -= 1
        var row = arguments
        row["id"] = id.databaseValue
        held["record_run", default: []].append(row)
        return id
    }

    func integer(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64? {
        try flush()
        if case .int(let v)? = try session.run(query, arguments).rows.first?.first { return v }
        return nil
    }

    /// `record_blob` in PostgreSQL's dialect returns a row only when the blob is new.
    func insertBlob(_ arguments: [String: DatabaseValue]) throws -> Bool {
        try flush()
        return !(try session.run("record_blob", arguments).rows.isEmpty)
    }

    /// Writes the held rows, table by table.
    func flush() throws {
        if held.isEmpty { return }
        for query in Self.batched {
            guard let rows = held[query] else { continue }
            for start in stride(from: 0, to: rows.count, by: Self.rowsPerStatement) {
                let chunk = rows[start..<min(rows.count, start + Self.rowsPerStatement)]
                try session.run("\(query)_batch", ["rows": JSONRows.encode(chunk).databaseValue])
            }
        }
        held.removeAll()
    }

    /// A param's value in the column of its type (migrations/postgresql/0001): integers and
    /// booleans (0/1) as integers, reals as reals, NaN and text as text, as SQLite types them.
    func paramValue(_ value: ConfigValue) -> [String: DatabaseValue] {
        Self.typedColumns(RunWriter.databaseValue(value))
    }

    /// A param value as SQLite stores it (integer, real or text) in the column of its type.
    static func typedColumns(_ typed: DatabaseValue) -> [String: DatabaseValue] {
        var out: [String: DatabaseValue] = ["value_integer": .null, "value_real": .null, "value_text": .null]
        switch typed.storage {
        case .int64: out["value_integer"] = typed
        case .double: out["value_real"] = typed
        default: out["value_text"] = typed
        }
        return out
    }
}
