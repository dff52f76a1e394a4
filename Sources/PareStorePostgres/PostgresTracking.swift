import Foundation
import GRDB
import PareStore
import PareTensor

/// `pare record` and `pare sweep` on a PostgreSQL store: the same running-run life as in the
/// SQLite file (Recording.swift, Leases.swift, Resume.swift). A run is written 'running' with
/// its owner (host, pid, process start), its heartbeat is renewed on the server's clock while
/// it computes, and any reader tells a dead owner's run from a live one — by the pid on the
/// owner's own host, by the heartbeat's age from any other — so shards of a sweep on many hosts
/// share one record, and a killed shard's runs show as interrupted and are re-recorded.
extension PostgresStore: RunTracker {
    public func beginRun(_ start: RunStart) throws -> Int64 {
        let start = try RunWriter.validated(start)
        let id = try writing(runs: 1) { writer in
            try RunWriter.insertRun(writer, start, known: known, finished: nil)
        }
        RunWriter.remember(start, experimentID: id.experiment, in: known)
        heartbeat.start(id.run) { [weak self] ids in try self?.renewHeartbeat(ids) }
        return id.run
    }

    public func finishRun(_ id: Int64, _ outcome: RunOutcome) throws {
        try RunWriter.validate(outcome)
        try writing(runs: 0) { writer in
            try requireRunning(id)
            try RunWriter.writeResults(writer, id, outcome)
            try writer.execute("finish_run", ["id": id.databaseValue, "notes": CanonicalJSON.array(outcome.notes).databaseValue])
        }
        heartbeat.stop(id)
    }

    public func failRun(_ id: Int64, error: String) throws {
        try writing(runs: 0) { writer in
            try requireRunning(id)
            try writer.execute("fail_run", ["id": id.databaseValue, "error": error.databaseValue])
        }
        heartbeat.stop(id)
    }

    public func finishedRun(like start: RunStart) throws -> Int64? {
        let hash = try Store.configHash(of: start)
        return try lock.withLock {
            try integer(session.run("finished_run_by_identity", identity(start, hash)))
        }
    }

    public func interruptedAttempts(like starts: [RunStart]) throws -> [Int64] {
        let hashes = try starts.map { try Store.configHash(of: $0) }
        return try lock.withLock {
            let interrupted = try interruptedArgument()
            return try zip(starts, hashes).flatMap { start, hash in
                var arguments = identity(start, hash)
                arguments["interrupted"] = interrupted
                return try session.run("interrupted_runs_by_identity", arguments).rows.compactMap { if case .int(let id) = $0[0] { id } else { nil } }
            }
        }
    }

    public func deleteRuns(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try lock.withLock {
            try session.transaction { for id in ids { try session.run("delete_run", ["id": id.databaseValue]) } }
        }
    }

    public func finalMetrics(run id: Int64) throws -> [String: Double] {
        let rows = try lock.withLock { try session.run("run_final_metrics", ["run_id": id.databaseValue]).rows }
        var out: [String: Double] = [:]
        for row in rows {
            guard case .text(let key) = row[0] else { continue }
            out[key] = if case .double(let v) = row[1] { v } else { .nan }
        }
        return out
    }

    public func teacherAnswers(teacher: String, inputHashes: [String]) throws -> [String: String] {
        guard !inputHashes.isEmpty else { return [:] }
        let rows = try lock.withLock {
            try session.run("teacher_answers", ["teacher": teacher.databaseValue,
                                                "input_hashes": CanonicalJSON.array(inputHashes).databaseValue]).rows
        }
        var out: [String: String] = [:]
        for row in rows { if case .text(let hash) = row[0], case .text(let answer) = row[1] { out[hash] = answer } }
        return out
    }

    public func saveTeacherAnswers(teacher: String, _ answers: [(inputHash: String, answer: String)]) throws {
        guard !answers.isEmpty else { return }
        try lock.withLock {
            try session.transaction {
                for entry in answers {
                    try session.run("record_teacher_answer", ["teacher": teacher.databaseValue, "input_hash": entry.inputHash.databaseValue,
                                                              "answer": entry.answer.databaseValue])
                }
            }
        }
    }

    public func probe(model: String, dataset: String) throws -> String? {
        let rows = try lock.withLock {
            try session.run("probe", ["model_hash": model.databaseValue, "dataset_hash": dataset.databaseValue]).rows
        }
        if case .text(let json)? = rows.first?.first { return json }
        return nil
    }

    public func recordProbe(model: String, dataset: String, json: String, trainAccuracy: Double?) throws {
        try lock.withLock {
            _ = try session.run("record_probe", ["model_hash": model.databaseValue, "dataset_hash": dataset.databaseValue,
                                                 "probe": json.databaseValue, "train_accuracy": trainAccuracy?.databaseValue ?? .null])
        }
    }

    @discardableResult
    public func reapInterruptedRuns() throws -> [Int64] {
        try lock.withLock {
            try session.transaction {
                let ids = try PostgresRows(session: session).interruptedRunIDs()
                for id in ids { try session.run("reap_run", ["id": id.databaseValue]) }
                return ids
            }
        }
    }

    // MARK: Helpers (the caller holds `lock` where it says so)

    /// `body` in one transaction through a batch writer whose held rows are written before the
    /// commit. Takes the lock.
    func writing<T>(runs: Int, reserved: [Int64] = [], _ body: (PostgresRecordWriter) throws -> T) throws -> T {
        try lock.withLock {
            try session.transaction {
                let writer = PostgresRecordWriter(session: session, runs: runs, reserved: reserved)
                let value = try body(writer)
                try writer.flush()
                return value
            }
        }
    }

    /// The ids of running runs whose owner is gone, as the queries' `:interrupted` JSON array.
    /// The caller holds the lock.
    func interruptedArgument() throws -> DatabaseValue { try PostgresRows(session: session).interruptedArgument() }

    /// Throws unless run `id` is 'running'. The caller holds the lock, in a transaction.
    private func requireRunning(_ id: Int64) throws {
        let rows = try session.run("run_status", ["id": id.databaseValue]).rows
        guard case .text(let status)? = rows.first?.first else { throw try PostgresRows(session: session).unknownRun(id) }
        if status != "running" { throw StoreError.notRunning(id: id, status: status) }
    }

    /// The heartbeat's renewal; skipped when the session is busy (the next one tries again,
    /// and the timeout allows many misses).
    private func renewHeartbeat(_ ids: [Int64]) throws {
        guard lock.try() else { return }
        defer { lock.unlock() }
        try session.run("heartbeat", ["ids": CanonicalJSON.array(ids.map { Int($0) }).databaseValue])
    }

    private func identity(_ start: RunStart, _ hash: String) -> [String: DatabaseValue] {
        RunWriter.values([
            "config_hash": hash, "experiment": start.experiment,
            "base_model_hash": start.baseModel?.hash, "train_dataset_hash": start.train?.hash,
            "test_dataset_hash": start.test?.hash, "calib_dataset_hash": start.calib?.hash,
        ])
    }

    private func integer(_ table: ResultTable) -> Int64? {
        if case .int(let v)? = table.rows.first?.first { return v }
        return nil
    }
}
