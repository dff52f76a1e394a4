import GRDB
import PareStore
import PareTensor

/// `RunWriter`'s statements on a PostgreSQL session, inside the store's transaction.
struct PostgresRecordWriter: RecordWriting {
    let session: PostgresSession

    func execute(_ query: String, _ arguments: [String: DatabaseValue]) throws {
        try session.run(query, arguments)
    }

    /// `record_run` in PostgreSQL's dialect returns the new id.
    func insert(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64 {
        let rows = try session.run(query, arguments).rows
        guard case .int(let id)? = rows.first?.first else {
            throw PostgresStoreError.refused(server: session.location.server, reason: "the new run's id did not come back")
        }
        return id
    }

    func integer(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64? {
        if case .int(let v)? = try session.run(query, arguments).rows.first?.first { return v }
        return nil
    }

    /// `record_blob` in PostgreSQL's dialect returns a row only when the blob is new.
    func insertBlob(_ arguments: [String: DatabaseValue]) throws -> Bool {
        !(try session.run("record_blob", arguments).rows.isEmpty)
    }

    /// A param's value in the column of its type (migrations/postgresql/0001): integers and
    /// booleans (0/1) as integers, reals as reals, NaN and text as text, as SQLite types them.
    func paramValue(_ value: ConfigValue) -> [String: DatabaseValue] {
        let typed = RunWriter.databaseValue(value)
        var out: [String: DatabaseValue] = ["value_integer": .null, "value_real": .null, "value_text": .null]
        switch typed.storage {
        case .int64: out["value_integer"] = typed
        case .double: out["value_real"] = typed
        default: out["value_text"] = typed
        }
        return out
    }
}
