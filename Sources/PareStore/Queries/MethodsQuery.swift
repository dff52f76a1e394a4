import GRDB

extension Store {
    /// The methods the database holds runs of (`queries/methods.sql`): method, runs, finished.
    public func methods() throws -> ResultTable {
        try read { db in try ResultTable.fetch(db, sql: SQLText.query("methods"), arguments: [:]) }
    }
}
