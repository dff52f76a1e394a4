import GRDB
import PareTensor

extension Store {
    /// Metric keys recorded in the database, sorted.
    public func metricKeys() throws -> [String] {
        try read { db in try String.fetchAll(db.cachedStatement(sql: SQLText.query("metric_keys"))) }
    }

    /// Param keys recorded in the database, sorted.
    public func paramKeys() throws -> [String] {
        try read { db in try String.fetchAll(db.cachedStatement(sql: SQLText.query("param_keys"))) }
    }
}
