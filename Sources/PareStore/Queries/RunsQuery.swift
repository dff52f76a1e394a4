import GRDB

extension Store {
    /// Runs newest first, any status, with the headline metrics (`queries/runs.sql`).
    /// - Parameters:
    ///   - filter: MLflow-style filter (`metrics.accuracy > 0.9 and params.bits < 8`), or nil.
    ///   - limit: at most this many runs; nil for all.
    public func runs(filter: String? = nil, limit: Int? = nil) throws -> ResultTable {
        let compiled = try CompiledFilter.compile(filter)
        return try read { db in
            try ResultTable.fetch(db, sql: SQLText.query("runs", filter: compiled),
                                  arguments: CompiledFilter.arguments(compiled, ["limit": limit ?? -1], db: db))
        }
    }
}
