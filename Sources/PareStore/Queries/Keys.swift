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

    /// The vocabulary's metrics (in its order), then any other key the database holds (sorted).
    public func knownMetricKeys() throws -> [String] {
        let vocabulary = MetricVocabulary.all.map(\.name)
        return vocabulary + (try metricKeys()).filter { MetricVocabulary.info($0) == nil }
    }

    /// Throws `StoreError.unknownMetric` unless `name` is in the vocabulary or the database.
    public func requireKnownMetric(_ name: String) throws {
        if MetricVocabulary.info(name) != nil { return }
        let known = try knownMetricKeys()
        if !known.contains(name) { throw StoreError.unknownMetric(name, known: known) }
    }
}
