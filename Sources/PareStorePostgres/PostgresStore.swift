import Foundation
import GRDB
import PareStore
import PareTensor

/// Pare's record in a PostgreSQL database, for a team whose writers run on many hosts: the
/// same tables as the SQLite file (migrations/postgresql), written by the same `RunWriter`
/// statements and read by the same queries in PostgreSQL's dialect (queries/postgresql), so a
/// run recorded in either answers every query with the same rows.
///
/// It takes what `pare log` records (whole runs, one transaction each or a batch in one), what
/// `pare record` and `pare sweep` do (PostgresTracking.swift), and `show`, `compare`, `export`,
/// `tag`, `note`, `rm` and `gc` (PostgresCatalog.swift); it answers `runs`, `leaderboard` and
/// `pareto` here. Concurrent writers need nothing more than
/// PostgreSQL's own transactions: run ids come from a sequence, and an experiment, model or
/// dataset that two writers upsert at once is inserted by one (ON CONFLICT DO NOTHING).
public final class PostgresStore: RunRecorder, RunQueries, @unchecked Sendable {
    public let location: PostgresLocation
    /// As given (with any password), for a companion connection.
    private let url: String
    let session: PostgresSession
    let known = KnownRows()
    /// One statement or transaction at a time on the session (the heartbeat's timer and an
    /// interrupt's handler share it with the command's thread).
    let lock = NSLock()
    let heartbeat = Heartbeat()

    /// Connects, and applies the migrations the database lacks (creating Pare's tables in an
    /// empty database). A database holding other tables, or a newer Pare's, is refused.
    public init(url: String) throws {
        location = try PostgresLocation(url)
        self.url = url
        session = try PostgresSession(location)
        do {
            try PostgresMigrations.applyMissing(session)
        } catch {
            session.close()
            throw error
        }
    }

    public func close() {
        heartbeat.cancel()
        session.close()
    }

    /// Creates an empty database on the server `url` names (connecting to its database, which
    /// must exist), and returns the URL of the new one: for tests and scripts that want a
    /// throwaway store. The name must be a plain lowercase identifier, since CREATE DATABASE
    /// takes no bound parameter.
    public static func createDatabase(named name: String, onServerOf url: String) throws -> String {
        var location = try PostgresLocation(url)
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) || first == "_",
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }), name.count < 64
        else {
            throw PostgresStoreError.refused(server: location.server,
                                             reason: "a new database's name must be a lowercase identifier (a-z, 0-9, _), not '\(name)'")
        }
        let session = try PostgresSession(location)
        defer { session.close() }
        try session.table("CREATE DATABASE \(name)")   // checked above to be a bare identifier
        location.database = name
        return location.description
    }

    // MARK: Recording

    public func record(_ start: RunStart, _ outcome: RunOutcome) throws -> Int64 {
        try record(batch: [(start: start, outcome: outcome)])[0]
    }

    public func record(batch runs: [(start: RunStart, outcome: RunOutcome)]) throws -> [Int64] {
        try record(batch: runs, reserved: [])
    }

    /// One transaction for the batch; `reserved`: its run ids, taken already (else from the sequence).
    private func record(batch runs: [(start: RunStart, outcome: RunOutcome)], reserved: [Int64]) throws -> [Int64] {
        let runs = try RunWriter.validated(batch: runs)
        let ids = try writing(runs: runs.count, reserved: reserved) { writer in try RunWriter.writeBatch(writer, runs, known: known) }
        return RunWriter.remember(runs, ids, in: known)
    }

    /// A second connection: the server runs each connection's statements on a core of its own,
    /// and its per-row work (keys, indexes, foreign keys) is most of a bulk load's time.
    public func companion() throws -> (any RunRecorder)? { try PostgresStore(url: url) }

    public func reserveRunIDs(_ count: Int) throws -> [Int64] {
        try lock.withLock { try session.reserveRunIDs(count) }
    }

    public func record(batch runs: [(start: RunStart, outcome: RunOutcome)], ids: [Int64]) throws -> [Int64] {
        precondition(ids.count == runs.count, "one reserved id per run")
        return try record(batch: runs, reserved: ids)
    }

    public func existingUIDs(_ uids: [String]) throws -> Set<String> {
        if uids.isEmpty { return [] }
        let rows = try lock.withLock {
            try session.run("existing_uids", ["uids": CanonicalJSON.array(uids).databaseValue]).rows
        }
        return Set(rows.compactMap { if case .text(let t) = $0[0] { t } else { nil } })
    }

    // MARK: Queries

    private func fetch(_ query: String, filter: CompiledFilter?, ascending: Bool? = nil,
                       _ arguments: [String: DatabaseValue], columns: [String] = []) throws -> ResultTable {
        var all = arguments
        for (k, v) in filter?.arguments ?? [:] { all[k] = v }
        let sql = SQLText.postgresQuery(query, filter: filter, ascending: ascending)
        return try lock.withLock {
            all["interrupted"] = try interruptedArgument()
            return try session.table(sql, all, columns: columns)
        }
    }

    public func runs(filter: String?, limit: Int?) throws -> ResultTable {
        let compiled = try CompiledFilter.compile(filter, dialect: .postgresql)
        return try fetch("runs", filter: compiled, ["limit": Int64(limit ?? -1).databaseValue],
                         columns: ["id", "name", "method", "status", "started_at"] + MetricVocabulary.headline)
    }

    public func leaderboard(metric: String, ascending: Bool?, filter: String?, limit: Int) throws -> ResultTable {
        try requireKnownMetric(metric)
        return try leaderboard(metric: metric, ascending: ascending, compiled: try CompiledFilter.compile(filter, dialect: .postgresql),
                               limit: limit)
    }

    public func leaderboard(metric: String, ascending: Bool?, compiled: CompiledFilter?, limit: Int) throws -> ResultTable {
        let ascending = ascending ?? !(MetricVocabulary.higherIsBetter(metric) ?? true)
        let fetched = try fetch("leaderboard", filter: compiled, ascending: ascending,
                                ["metric": metric.databaseValue, "limit": Int64(max(limit, 0)).databaseValue])
        return ResultTable.ranking(fetched, metric: metric)
    }

    public func summary(metric: String = "accuracy", ascending: Bool? = nil, filter: String? = nil) throws -> ResultTable {
        try requireKnownMetric(metric)
        let compiled = try CompiledFilter.compile(filter, dialect: .postgresql)
        let ascending = ascending ?? !(MetricVocabulary.higherIsBetter(metric) ?? true)
        let fetched = try fetch("summary", filter: compiled, ascending: ascending, ["metric": metric.databaseValue],
                                columns: ["method", "run", "name", "value", "accuracy", "accuracy_delta", "size_bytes",
                                          "compression_ratio", "latency_ms_p50", "speedup", "base_run"])
        return ResultTable.summary(fetched, metric: metric)
    }

    public var dialect: SQLDialect { .postgresql }

    public func pareto(x: String, y: String, directions: ParetoDirections?, filter: String?,
                       perMethod: Bool, allPoints: Bool) throws -> ResultTable {
        try requireKnownMetric(x)
        try requireKnownMetric(y)
        let compiled = try CompiledFilter.compile(filter, dialect: .postgresql)
        let d = directions ?? .known(x: x, y: y)
        let fetched = try fetch("pareto", filter: compiled, [
            "x": x.databaseValue, "y": y.databaseValue,
            "x_sign": Int64(d.xLowerIsBetter ? 1 : -1).databaseValue, "y_sign": Int64(d.yHigherIsBetter ? 1 : -1).databaseValue,
            "per_method": Int64(perMethod ? 1 : 0).databaseValue, "all_points": Int64(allPoints ? 1 : 0).databaseValue,
        ])
        return ResultTable.frontier(fetched, x: x, y: y, allPoints: allPoints)
    }

    public func metricKeys() throws -> [String] {
        try lock.withLock { try session.run("metric_keys").rows }.compactMap { if case .text(let t) = $0[0] { t } else { nil } }
    }
}
