import GRDB
import PareTensor

extension Store {
    /// The `config_hash` the store writes for `start`: sha256 of the canonical JSON of its
    /// config with "method" added, exactly as `beginRun` and `record` compute it.
    public static func configHash(of start: RunStart) throws -> String {
        let start = try RunWriter.validated(start)
        return SHA256.hex(CanonicalJSON.object(start.config).utf8)
    }

    /// The newest finished run with the identity of `start`, or nil. Identity = config hash
    /// (method, every effective setting, seed), experiment, base model hash and the train, test
    /// and calibration dataset hashes: the same settings on another model, other data or in
    /// another experiment are a different run.
    public func finishedRun(like start: RunStart) throws -> Int64? {
        let hash = try Self.configHash(of: start)
        return try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: SQLText.query("finished_run_by_identity")), arguments: [
                "config_hash": hash, "experiment": start.experiment,
                "base_model_hash": start.baseModel?.hash, "train_dataset_hash": start.train?.hash,
                "test_dataset_hash": start.test?.hash, "calib_dataset_hash": start.calib?.hash,
            ])
        }
    }

    /// The interrupted attempts (see queries/interrupted_runs_by_identity.sql) with the identity
    /// of any of `starts`: a sweep re-records such a point and then deletes them, so one row
    /// stands for it.
    public func interruptedAttempts(like starts: [RunStart]) throws -> [Int64] {
        let hashes = try starts.map { try Self.configHash(of: $0) }
        return try read { db in
            let interrupted = try Self.interruptedArgument(db)
            return try zip(starts, hashes).flatMap { start, hash in
                try Int64.fetchAll(db.cachedStatement(sql: SQLText.query("interrupted_runs_by_identity")), arguments: [
                    "config_hash": hash, "experiment": start.experiment, "interrupted": interrupted,
                    "base_model_hash": start.baseModel?.hash, "train_dataset_hash": start.train?.hash,
                    "test_dataset_hash": start.test?.hash, "calib_dataset_hash": start.calib?.hash,
                ])
            }
        }
    }

    /// Deletes runs (with their params, metrics and tensors) in one transaction; a run that a
    /// later pipeline stage names as its parent is kept.
    public func deleteRuns(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try write { db in
            for id in ids { try SQLiteRecordWriter.execute(db, "delete_run", ["id": id]) }
        }
    }

    /// Final (step 0) metrics of a run by key (NaN where stored as NULL).
    public func finalMetrics(run id: Int64) throws -> [String: Double] {
        try read { db in
            var out: [String: Double] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("run_final_metrics")), arguments: ["run_id": id])
            while let row = try rows.next() {
                let value: Double? = row["value"]
                out[row["key"]] = value ?? .nan
            }
            return out
        }
    }
}
