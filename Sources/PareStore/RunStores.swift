import PareTensor

/// The SQL dialect a store's queries are written in: `queries/NAME.sql` for SQLite,
/// `queries/postgresql/NAME.pgsql` for PostgreSQL where the two differ.
public enum SQLDialect: Sendable {
    case sqlite, postgresql
}

/// What recording runs computed elsewhere (`pare log`, `pare log --from`) asks of a store, so
/// the SQLite file and a PostgreSQL server take the same calls.
public protocol RunRecorder: AnyObject {
    /// Records a whole run in one transaction; its id.
    func record(_ start: RunStart, _ outcome: RunOutcome) throws -> Int64
    /// Records several whole runs in one transaction (all or none); their ids in order.
    func record(batch runs: [(start: RunStart, outcome: RunOutcome)]) throws -> [Int64]
    /// Which of these global run ids the store already holds.
    func existingUIDs(_ uids: [String]) throws -> Set<String>
    func close()
}

/// The queries both stores answer with the same rows for the same runs.
public protocol RunQueries: AnyObject {
    /// Runs newest first, any status, with the headline metrics.
    func runs(filter: String?, limit: Int?) throws -> ResultTable
    /// Finished runs ranked by one metric's final value.
    func leaderboard(metric: String, ascending: Bool?, filter: String?, limit: Int) throws -> ResultTable
    /// The Pareto frontier of finished runs on two metrics.
    func pareto(x: String, y: String, directions: ParetoDirections?, filter: String?,
                perMethod: Bool, allPoints: Bool) throws -> ResultTable
    /// Metric keys recorded in the store, sorted.
    func metricKeys() throws -> [String]
}

extension RunQueries {
    /// The vocabulary's metrics (in its order), then any other key the store holds (sorted).
    public func knownMetricKeys() throws -> [String] {
        let vocabulary = MetricVocabulary.all.map(\.name)
        return vocabulary + (try metricKeys()).filter { MetricVocabulary.info($0) == nil }
    }

    /// Throws `StoreError.unknownMetric` unless `name` is in the vocabulary or the store.
    public func requireKnownMetric(_ name: String) throws {
        if MetricVocabulary.info(name) != nil { return }
        let known = try knownMetricKeys()
        if !known.contains(name) { throw StoreError.unknownMetric(name, known: known) }
    }
}

extension Store: RunRecorder, RunQueries {}
