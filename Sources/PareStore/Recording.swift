import Foundation
import GRDB
import PareTensor

extension Store {
    /// Starts a run: experiment, base model and datasets upserted, the run row written as
    /// 'running', its config stored canonically and as typed params. One transaction.
    public func beginRun(_ start: RunStart) throws -> Int64 {
        let start = try RunWriter.validated(start)
        let id = try write { db in try RunWriter.insertRun(SQLiteRecordWriter(db: db), start, known: known, finished: nil) }
        RunWriter.remember(start, experimentID: id.experiment, in: known)
        heartbeat.start(id.run, renew: Heartbeat.renewal(pool))
        return id.run
    }

    /// Finishes a running run: blobs, tensors, metrics and notes written and the status set to
    /// 'finished', all in one transaction, so a failure part-way writes nothing.
    public func finishRun(_ id: Int64, _ outcome: RunOutcome) throws {
        try RunWriter.validate(outcome)
        try write { db in
            try RunWriter.requireRunning(db, id)
            try RunWriter.writeResults(SQLiteRecordWriter(db: db), id, outcome)
            try db.cachedStatement(sql: SQLText.query("finish_run")).execute(arguments: [
                "id": id, "notes": CanonicalJSON.array(outcome.notes),
            ])
        }
        heartbeat.stop(id)
    }

    /// Marks a running run failed with its error. A failed run never has half-written
    /// tensors or metrics: those are only written by a successful `finishRun`.
    public func failRun(_ id: Int64, error: String) throws {
        try write { db in
            try RunWriter.requireRunning(db, id)
            try db.cachedStatement(sql: SQLText.query("fail_run")).execute(arguments: ["id": id, "error": error])
        }
        heartbeat.stop(id)
    }

    /// Records a whole run in one transaction: the fast path for runs whose outcome is known.
    public func record(_ start: RunStart, _ outcome: RunOutcome) throws -> Int64 {
        let start = try RunWriter.validated(start)
        try RunWriter.validate(outcome)
        let id = try write { db in
            let writer = SQLiteRecordWriter(db: db)
            let id = try RunWriter.insertRun(writer, start, known: known, finished: outcome.notes, error: outcome.error)
            try RunWriter.writeResults(writer, id.run, outcome)
            return id
        }
        RunWriter.remember(start, experimentID: id.experiment, in: known)
        return id.run
    }

    /// Records several whole runs in one transaction (all or none), through the same writes as
    /// `record`: for bulk loads, where one commit per run (~29 WAL pages each) dominates.
    public func record(batch runs: [(start: RunStart, outcome: RunOutcome)]) throws -> [Int64] {
        let runs = try RunWriter.validated(batch: runs)
        let ids = try write { db in try RunWriter.writeBatch(SQLiteRecordWriter(db: db), runs, known: known) }
        return RunWriter.remember(runs, ids, in: known)
    }
}

/// What writing a run needs of a store's connection: the statements of queries/ in its dialect,
/// run with named arguments. The SQLite store's prepares each once per connection (GRDB's
/// statement cache); the PostgreSQL store's is in PareStorePostgres.
public protocol RecordWriting {
    /// Runs a write statement of queries/.
    func execute(_ query: String, _ arguments: [String: DatabaseValue]) throws
    /// Runs an INSERT of queries/ (`record_run`) and returns the new row's id.
    func insert(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64
    /// Runs a query of queries/ that answers one integer, or nil for no row.
    func integer(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64?
    /// Runs `record_blob`; true when the blob was new (its chunks are written only then).
    func insertBlob(_ arguments: [String: DatabaseValue]) throws -> Bool
    /// The arguments of `record_param` that carry a typed value.
    func paramValue(_ value: ConfigValue) -> [String: DatabaseValue]
}

/// The SQLite store's connection inside a write transaction.
struct SQLiteRecordWriter: RecordWriting {
    let db: Database

    func execute(_ query: String, _ arguments: [String: DatabaseValue]) throws {
        try Self.execute(db, query, StatementArguments(arguments))
    }

    /// Runs one write statement of queries/, prepared once per connection (GRDB's cache).
    static func execute(_ db: Database, _ query: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: SQLText.query(query)).execute(arguments: arguments)
    }

    func insert(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64 {
        try execute(query, arguments)
        return db.lastInsertedRowID
    }

    func integer(_ query: String, _ arguments: [String: DatabaseValue]) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: SQLText.query(query)), arguments: StatementArguments(arguments))
    }

    func insertBlob(_ arguments: [String: DatabaseValue]) throws -> Bool {
        try execute("record_blob", arguments)
        return db.changesCount > 0
    }

    func paramValue(_ value: ConfigValue) -> [String: DatabaseValue] { ["value": RunWriter.databaseValue(value)] }
}

/// The statements that write a run, every one from queries/, for either store.
public enum RunWriter {
    public static func validated(_ start: RunStart) throws -> RunStart {
        guard !start.method.isEmpty else { throw StoreError.invalidRecord("the method name is empty") }
        guard !start.experiment.isEmpty else { throw StoreError.invalidRecord("the experiment name is empty") }
        if start.config.keys.contains("") { throw StoreError.invalidRecord("a config key is empty") }
        if let m = start.config["method"], m != .string(start.method) {
            throw StoreError.invalidRecord("config key 'method' (\(m)) disagrees with the run's method '\(start.method)'")
        }
        var start = start
        start.config["method"] = .string(start.method)
        return start
    }

    public static func validate(_ outcome: RunOutcome) throws {
        var seenMetrics = Set<String>()
        for m in outcome.metrics {
            if m.key.isEmpty { throw StoreError.invalidRecord("a metric name is empty") }
            if m.step < 0 { throw StoreError.invalidRecord("metric '\(m.key)' has a negative step \(m.step)") }
            if !seenMetrics.insert("\(m.step)\u{0}\(m.key)").inserted {
                throw StoreError.invalidRecord("metric '\(m.key)' is reported twice at step \(m.step)")
            }
        }
        if outcome.params.keys.contains("") { throw StoreError.invalidRecord("a param name is empty") }
        if outcome.tags.keys.contains("") { throw StoreError.invalidRecord("a tag name is empty") }
        var seenReported = Set<String>()
        for m in outcome.reportedAlongside {
            if m.key.isEmpty { throw StoreError.invalidRecord("a reported metric name is empty") }
            if !seenReported.insert("\(m.step)\u{0}\(m.key)").inserted {
                throw StoreError.invalidRecord("metric '\(m.key)' is reported twice at step \(m.step)")
            }
        }
        var seenTensors = Set<String>()
        for t in outcome.tensors {
            if t.name.isEmpty { throw StoreError.invalidRecord("a tensor name is empty") }
            if !seenTensors.insert(t.name).inserted { throw StoreError.invalidRecord("tensor '\(t.name)' is stored twice") }
            if t.tensor.shape.contains(where: { $0 < 0 }) {
                throw StoreError.invalidRecord("tensor '\(t.name)' has a negative dimension in shape \(t.tensor.shape)")
            }
        }
    }

    static func requireRunning(_ db: Database, _ id: Int64) throws {
        let status = try String.fetchOne(db.cachedStatement(sql: SQLText.query("run_status")), arguments: ["id": id])
        guard let status else { throw try Store.unknownRun(db, id) }
        if status != "running" { throw StoreError.notRunning(id: id, status: status) }
    }

    /// Writes the run row and its params. `finished` nil writes a 'running' run; otherwise a
    /// 'finished' one with these notes (its results must follow in the same transaction), or a
    /// 'failed' one when `error` is given.
    public static func insertRun(_ db: some RecordWriting, _ start: RunStart, known: KnownRows,
                                 finished notes: [String]?, error: String? = nil) throws -> (run: Int64, experiment: Int64) {
        let experimentID: Int64
        if let id = known.experimentID(start.experiment) {
            experimentID = id
        } else {
            try db.execute("record_experiment", ["name": start.experiment.databaseValue])
            guard let id = try db.integer("experiment_id", ["name": start.experiment.databaseValue])
            else { throw StoreError.invalidRecord("experiment '\(start.experiment)' could not be created") }
            experimentID = id
        }
        if let model = start.baseModel, !known.contains(hash: model.hash) {
            try db.execute("record_model", values([
                "hash": model.hash, "name": model.name, "arch": model.archJSON,
                "params": model.params, "size_bytes": model.sizeBytes,
            ]))
            for file in model.files {
                let hash = try writeBlob(db, file.bytes)
                try db.execute("record_model_file", values(["model_hash": model.hash, "name": file.name, "blob_hash": hash]))
            }
        }
        for dataset in [start.train, start.test, start.calib].compactMap({ $0 }) where !known.contains(hash: dataset.hash) {
            try db.execute("record_dataset", values([
                "hash": dataset.hash, "name": dataset.name, "rows": dataset.rows,
                "features": dataset.features, "classes": dataset.classes,
            ]))
        }

        let config = CanonicalJSON.object(start.config)
        let id = try db.insert("record_run", values([
            "experiment_id": experimentID, "name": start.name, "method": start.method,
            "status": notes == nil ? "running" : error == nil ? "finished" : "failed", "error": error,
            "notes": CanonicalJSON.array(notes ?? []),
            "config": config, "config_hash": SHA256.hex(config.utf8),
            "base_model_hash": start.baseModel?.hash, "train_dataset_hash": start.train?.hash,
            "test_dataset_hash": start.test?.hash, "calib_dataset_hash": start.calib?.hash,
            "parent_run_id": start.parentRunID, "pare_version": start.pareVersion,
            "owner_host": notes == nil ? RunOwner.current.host : nil,
            "owner_pid": notes == nil ? Int64(RunOwner.current.pid) : nil,
            "owner_start": notes == nil ? RunOwner.current.start : nil,
            "uid": start.uid, "source": start.source.rawValue,
            "started_at": start.startedAt, "ended_at": start.endedAt,
        ]))
        for (key, value) in start.config {
            try db.execute("record_param", ["run_id": id.databaseValue, "key": key.databaseValue].merging(db.paramValue(value)) { $1 })
        }
        return (run: id, experiment: experimentID)
    }

    /// Named arguments as database values (nil as NULL).
    public static func values(_ arguments: [String: (any DatabaseValueConvertible)?]) -> [String: DatabaseValue] {
        arguments.mapValues { $0?.databaseValue ?? .null }
    }

    /// A batch's runs checked (`validated`, `validate`) before anything is written.
    public static func validated(batch runs: [(start: RunStart, outcome: RunOutcome)]) throws -> [(start: RunStart, outcome: RunOutcome)] {
        let runs = try runs.map { (start: try validated($0.start), outcome: $0.outcome) }
        try runs.forEach { try validate($0.outcome) }
        return runs
    }

    /// Writes whole runs inside the caller's transaction; their ids.
    public static func writeBatch(_ db: some RecordWriting, _ runs: [(start: RunStart, outcome: RunOutcome)],
                                  known: KnownRows) throws -> [(run: Int64, experiment: Int64)] {
        let pending = KnownRows(within: known)
        return try runs.map { run in
            let id = try insertRun(db, run.start, known: pending, finished: run.outcome.notes, error: run.outcome.error)
            try writeResults(db, id.run, run.outcome)
            remember(run.start, experimentID: id.experiment, in: pending)
            return id
        }
    }

    /// `remember` for a committed batch; the runs' ids.
    public static func remember(_ runs: [(start: RunStart, outcome: RunOutcome)], _ ids: [(run: Int64, experiment: Int64)],
                                in known: KnownRows) -> [Int64] {
        for (run, id) in zip(runs, ids) { remember(run.start, experimentID: id.experiment, in: known) }
        return ids.map(\.run)
    }

    /// After the transaction committed: its experiment, model and datasets exist for good.
    public static func remember(_ start: RunStart, experimentID: Int64, in known: KnownRows) {
        let hashes = [start.baseModel?.hash, start.train?.hash, start.test?.hash, start.calib?.hash].compactMap { $0 }
        known.remember(experiment: start.experiment, id: experimentID, hashes: hashes)
    }

    /// Metrics, blobs and tensors of a run (the caller marks it finished).
    public static func writeResults(_ db: some RecordWriting, _ id: Int64, _ outcome: RunOutcome) throws {
        let run = id.databaseValue
        for (key, value) in outcome.params.sorted(by: { $0.key < $1.key }) {
            try db.execute("record_param", ["run_id": run, "key": key.databaseValue].merging(db.paramValue(value)) { $1 })
        }
        for m in outcome.metrics {
            try db.execute("record_metric", ["run_id": run, "key": m.key.databaseValue, "step": m.step.databaseValue,
                                             "value": m.value.isNaN ? .null : m.value.databaseValue,
                                             "reported": (outcome.reported.contains(m.key) ? 1 : 0).databaseValue])
        }
        for m in outcome.reportedAlongside {
            try db.execute("record_reported_metric", ["run_id": run, "key": m.key.databaseValue, "step": m.step.databaseValue,
                                                      "value": m.value.isNaN ? .null : m.value.databaseValue])
        }
        for (key, value) in outcome.tags.sorted(by: { $0.key < $1.key }) {
            try db.execute("record_tag", ["run_id": run, "key": key.databaseValue, "value": value.databaseValue])
        }
        for (position, t) in outcome.tensors.enumerated() {
            let hash = try writeBlob(db, t.tensor.payload)
            try db.execute("record_tensor", values([
                "run_id": id, "name": t.name, "position": position, "encoding": t.tensor.encoding,
                "dtype": t.tensor.dtype.rawValue, "shape": CanonicalJSON.array(t.tensor.shape),
                "meta": CanonicalJSON.object(t.tensor.meta), "blob_hash": hash,
            ]))
        }
    }

    /// Blobs above this size are written in pieces of this size (migrations/0005): under
    /// SQLite's 1 GB limit, and memory stays near one piece while writing or reading.
    public static let blobChunkBytes = 16 << 20

    /// Writes `bytes` as a content-addressed blob (nothing when that hash is stored already),
    /// in chunks when large; returns its hash. The bytes are handed to SQLite without a copy.
    static func writeBlob(_ db: some RecordWriting, _ bytes: [UInt8]) throws -> String {
        let hash = SHA256.hex(bytes)
        let chunk = blobChunkBytes
        let chunks = bytes.count > chunk ? (bytes.count + chunk - 1) / chunk : 0
        try bytes.withUnsafeBytes { raw in
            func view(_ range: Range<Int>) -> Data {
                range.isEmpty ? Data()
                    : Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress! + range.lowerBound),
                           count: range.count, deallocator: .none)
            }
            let new = try db.insertBlob(values(["hash": hash, "size": bytes.count,
                                                "data": chunks == 0 ? view(0..<bytes.count) : Data(), "chunks": chunks]))
            guard chunks > 0, new else { return }   // stored before: its chunks are too
            for seq in 0..<chunks {
                let range = seq * chunk..<min(bytes.count, (seq + 1) * chunk)
                try db.execute("record_blob_chunk", values(["blob_hash": hash, "seq": seq, "data": view(range)]))
            }
        }
        return hash
    }

    /// Params are typed so numbers compare as numbers: booleans as 0/1, NaN as text.
    public static func databaseValue(_ value: ConfigValue) -> DatabaseValue {
        switch value {
        case .int(let i): Int64(i).databaseValue
        case .double(let d): d.isNaN ? "NaN".databaseValue : d.databaseValue
        case .string(let s): s.databaseValue
        case .bool(let b): Int64(b ? 1 : 0).databaseValue
        }
    }
}

extension Store {
    /// The error for a run id that does not exist, naming the ids that do.
    static func unknownRun(_ db: Database, _ id: Int64) throws -> StoreError { try SQLiteRows(db: db).unknownRun(id) }
}
