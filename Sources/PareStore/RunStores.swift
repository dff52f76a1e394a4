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

    /// A second connection to the same store that a bulk load (`pare log --from`) writes every
    /// other batch on, so a server works on two batches at once; nil where one writer at a
    /// time is the rule (the SQLite file).
    func companion() throws -> (any RunRecorder)?
    /// `count` new run ids, ascending, for `record(batch:ids:)`: batches written on two
    /// connections take their ids in the file's order. Only a store with a companion has them.
    func reserveRunIDs(_ count: Int) throws -> [Int64]
    /// `record(batch:)` under ids reserved by `reserveRunIDs` (one per run, in order).
    func record(batch runs: [(start: RunStart, outcome: RunOutcome)], ids: [Int64]) throws -> [Int64]
}

extension RunRecorder {
    public func companion() throws -> (any RunRecorder)? { nil }
    public func reserveRunIDs(_ count: Int) throws -> [Int64] {
        preconditionFailure("a store without a companion gives run ids as it writes")
    }
    public func record(batch runs: [(start: RunStart, outcome: RunOutcome)], ids: [Int64]) throws -> [Int64] {
        preconditionFailure("a store without a companion gives run ids as it writes")
    }
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
    /// The dialect a filter must be compiled in for this store.
    var dialect: SQLDialect { get }
    /// `leaderboard` with a filter compiled in `dialect` (`best` combines its budget with it).
    func leaderboard(metric: String, ascending: Bool?, compiled: CompiledFilter?, limit: Int) throws -> ResultTable
    /// The best finished run of each method by one metric (`pare summary`).
    func summary(metric: String, ascending: Bool?, filter: String?) throws -> ResultTable
    /// Everything recorded about one run (`pare show`).
    func show(run id: Int64) throws -> RunDetail
    /// Runs side by side (`pare compare`).
    func compare(runs ids: [Int64], allParams: Bool) throws -> Comparison
    /// Every run as one row, streamed into `sink` (`pare export`).
    func export<Sink: TableSink>(filter: String?, columns: [String]?, into sink: inout Sink) throws
    /// The ids of the runs `filter` selects, ascending (the `--where` of `tag` and `rm`).
    func runIDs(matching filter: String) throws -> [Int64]
    /// What `removeRuns` would remove (`pare rm --dry-run`).
    func removalPlan(_ ids: [Int64]) throws -> RunRemoval
}

/// What `pare tag`, `pare note`, `pare rm` and `pare gc` ask of a store (RunEdits, in one transaction).
public protocol RunEditor: RunQueries {
    func tag(runs: [Int64], set: [String: String], remove: [String]) throws
    /// The run's note count after appending `text`.
    @discardableResult func note(run id: Int64, _ text: String) throws -> Int
    @discardableResult func removeRuns(_ ids: [Int64]) throws -> RunRemoval
    /// Deletes (or with `dryRun` only finds) the blobs, models and datasets no run uses.
    @discardableResult func collectGarbage(dryRun: Bool) throws -> GarbageReport
    func close()
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

/// What recording Pare's own runs (`pare record`, `pare sweep`) asks of a store: a run is
/// 'running' while it computes (its owner and heartbeat stamped on it, so a dead process's run
/// is told apart), then finished or failed; a sweep resumes by a run's identity; black-box
/// teachers' answers and probes are cached. The SQLite file and a PostgreSQL server take the
/// same calls.
public protocol RunTracker: RunRecorder, RunQueries, Sendable {
    /// Starts a run ('running'); its id. The store renews its heartbeat until it ends.
    func beginRun(_ start: RunStart) throws -> Int64
    /// Writes a running run's results and marks it finished, in one transaction.
    func finishRun(_ id: Int64, _ outcome: RunOutcome) throws
    /// Marks a running run failed with its error.
    func failRun(_ id: Int64, error: String) throws
    /// The newest finished run with the identity of `start` (see `Store.finishedRun(like:)`).
    func finishedRun(like start: RunStart) throws -> Int64?
    /// Interrupted attempts at any of `starts` (see `Store.interruptedAttempts(like:)`).
    func interruptedAttempts(like starts: [RunStart]) throws -> [Int64]
    /// Deletes runs that no later pipeline stage names as its parent, in one transaction.
    func deleteRuns(_ ids: [Int64]) throws
    /// A run's final (step 0) metrics by key (NaN where stored as NULL).
    func finalMetrics(run id: Int64) throws -> [String: Double]
    func teacherAnswers(teacher: String, inputHashes: [String]) throws -> [String: String]
    func saveTeacherAnswers(teacher: String, _ answers: [(inputHash: String, answer: String)]) throws
    func probe(model: String, dataset: String) throws -> String?
    func recordProbe(model: String, dataset: String, json: String, trainAccuracy: Double?) throws
    /// Marks every run whose recording process is gone failed; their ids.
    @discardableResult func reapInterruptedRuns() throws -> [Int64]
}

/// What rebuilding a recorded run's model reads: `export-model` and the `--run` of generate,
/// embed and tokenize (StoredModel), on either store.
public protocol RunModelReading: RunQueries {
    /// The run's status and base model (`queries/run_base_model.sql`).
    func modelInfo(run id: Int64) throws -> RunModelInfo
    /// The run's stored tensors, byte for byte, in the order they were recorded.
    func tensors(run id: Int64) throws -> [(name: String, tensor: EncodedTensor)]
    /// The files recorded with a base model (config.json, tokenizer.json), by name.
    func modelFiles(model hash: String) throws -> [String: [UInt8]]
}

/// What browsing the record reads (`pare ui`): runs pages, lineage, curves and methods
/// (RunsPageQuery.swift, LineageQuery.swift), assembled alike over either store's rows.
public protocol RunBrowsing: RunQueries {
    /// `body` over the store's rows in one consistent read.
    func browsing<T>(_ body: (any RowSource) throws -> T) throws -> T
}

extension Store: RunTracker, RunEditor, RunModelReading, RunBrowsing {
    public func browsing<T>(_ body: (any RowSource) throws -> T) throws -> T {
        try read { db in try body(SQLiteRows(db: db)) }
    }
}
