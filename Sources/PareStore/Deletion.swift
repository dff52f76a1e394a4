import Foundation
import GRDB

/// Why a removal or a collection was refused.
public enum DeletionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A run that would be removed, or any run during `gc`, is being recorded by a live process.
    /// `reason` says why it was included ("pipeline stage after 4"), nil for a named run.
    case running(id: Int64, reason: String?, host: String?, pid: Int64?, gc: Bool)
    /// `rm` with no run.
    case noRuns

    public var description: String {
        switch self {
        case let .running(id, reason, host, pid, gc):
            let owner = pid.map { " by pid \($0)" + (host.map { " on \($0)" } ?? "") } ?? ""
            let which = reason.map { "run \(id) (\($0))" } ?? "run \(id)"
            return gc
                ? "\(which) is being recorded\(owner); run pare gc when it has finished (nothing was freed)"
                : "\(which) is being recorded\(owner); wait for it to finish or stop it, then remove it (nothing was removed)"
        case .noRuns:
            return "no run to remove; name run ids or pass --where FILTER"
        }
    }
}

/// The runs `rm` removes (or would remove), each with why.
public struct RunRemoval: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// Named by the caller (or matched by the filter).
        case named
        /// A later pipeline stage: its `parent_run_id` is this run.
        case pipelineStage(after: Int64)
        /// A run whose param `baseline_run` names this run as its companion baseline.
        case baselineRemoved(Int64)

        public var description: String {
            switch self {
            case .named: "named"
            case let .pipelineStage(after): "pipeline stage after \(after)"
            case let .baselineRemoved(id): "its baseline_run \(id) is removed"
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var reason: Reason
    }

    /// Ascending by id.
    public var runs: [Entry]

    public var ids: [Int64] { runs.map(\.id) }

    /// "runs 4, 5 (5: pipeline stage after 4)".
    public var description: String {
        let list = runs.map { String($0.id) }.joined(separator: ", ")
        let why = runs.filter { $0.reason != .named }.map { "\($0.id): \($0.reason)" }
        return (runs.count == 1 ? "run " : "runs ") + list + (why.isEmpty ? "" : " (" + why.joined(separator: "; ") + ")")
    }
}

/// What `gc` freed (or would free), and what reclaiming the file space did.
public struct GarbageReport: Sendable, Equatable, CustomStringConvertible {
    public enum Reclaim: Sendable, Equatable {
        /// A dry run, or too little free space to be worth rewriting the file.
        case notNeeded
        /// VACUUM (or incremental_vacuum) ran; `shrunk` false when a reader kept the old
        /// pages in the write-ahead log (the file shrinks at a later checkpoint).
        case done(shrunk: Bool)
        /// VACUUM could not run (another process kept writing); the rows stay deleted and
        /// SQLite reuses their pages.
        case failed(String)
        /// A PostgreSQL store: the server's autovacuum makes the space reusable.
        case byServer
    }

    public var blobs = 0
    /// Sum of the freed blobs' sizes.
    public var blobBytes: Int64 = 0
    /// Names of the freed models and datasets.
    public var models: [String] = []
    public var datasets: [String] = []
    public var dryRun = false
    public var reclaim = Reclaim.notNeeded
    /// The database file plus its write-ahead log, before and after.
    public var fileBytesBefore: Int64 = 0
    public var fileBytesAfter: Int64 = 0

    public init(dryRun: Bool = false) { self.dryRun = dryRun }

    public var isEmpty: Bool { blobs == 0 && models.isEmpty && datasets.isEmpty }

    /// "freed 3 blobs, 412.5 MB (and 1 model, 2 datasets no run uses); the file shrank from … to …".
    public var description: String {
        var others: [String] = []
        if !models.isEmpty { others.append(Self.count(models.count, "model")) }
        if !datasets.isEmpty { others.append(Self.count(datasets.count, "dataset")) }
        var text = dryRun ? "would free " : "freed "
        if isEmpty {
            text = "nothing to free: every blob, model and dataset is used by a run"
        } else if blobs > 0 {
            text += Self.count(blobs, "blob") + ", " + Self.bytes(blobBytes)
            if !others.isEmpty { text += " (and " + others.joined(separator: ", ") + " no run uses)" }
        } else {
            text += others.joined(separator: ", ") + " no run uses"
        }
        switch reclaim {
        case .notNeeded:
            if dryRun && !isEmpty { text += "; nothing changed (--dry-run)" }
            if !dryRun && !isEmpty { text += "; SQLite reuses the space (too little of the file is free to be worth rewriting it)" }
        case .done(let shrunk):
            text += shrunk
                ? "; the file shrank from \(Self.bytes(fileBytesBefore)) to \(Self.bytes(fileBytesAfter))"
                : "; the file shrinks at a later checkpoint, once the readers open now have finished"
        case .failed(let reason):
            text += "; the file keeps its size (\(reason)), and SQLite reuses the freed space"
        case .byServer:
            if !isEmpty { text += "; PostgreSQL's autovacuum makes the space reusable" }
        }
        return text
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)" + (n == 1 ? "" : "s") }

    /// Decimal units, as `ls -h --si` and disk vendors count.
    static func bytes(_ n: Int64) -> String {
        let d = Double(n)
        if d < 1e3 { return "\(n) B" }
        if d < 1e6 { return String(format: "%.1f kB", d / 1e3) }
        if d < 1e9 { return String(format: "%.1f MB", d / 1e6) }
        return String(format: "%.2f GB", d / 1e9)
    }
}

extension RunEdits {
    /// What `remove` would remove: `ids`, their later pipeline stages, and the runs naming any
    /// of those as `baseline_run`, transitively. Refused when a run in it is being recorded by a
    /// live process. Reads only.
    public static func removal(_ source: some RowSource, _ ids: [Int64]) throws -> RunRemoval {
        guard !ids.isEmpty else { throw DeletionError.noRuns }
        for id in ids { try source.requireRun(id) }
        var reasons: [Int64: RunRemoval.Reason] = [:]
        var queue: [Int64] = []
        for id in ids where reasons[id] == nil {
            reasons[id] = .named
            queue.append(id)
        }
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            let arguments = ["id": id.databaseValue]
            let found = try source.integers("run_children", arguments).map { ($0, RunRemoval.Reason.pipelineStage(after: id)) }
                + source.integers("runs_with_baseline", arguments).map { ($0, RunRemoval.Reason.baselineRemoved(id)) }
            for (other, reason) in found where reasons[other] == nil {
                reasons[other] = reason
                queue.append(other)
            }
        }
        let plan = RunRemoval(runs: reasons.keys.sorted().map { RunRemoval.Entry(id: $0, reason: reasons[$0]!) })
        if let live = try source.liveRuns(among: Set(plan.ids)).first {
            let reason = reasons[live.id].flatMap { $0 == .named ? nil : $0.description }
            throw DeletionError.running(id: live.id, reason: reason, host: live.host, pid: live.pid, gc: false)
        }
        return plan
    }

    /// Removes `ids` with their later pipeline stages and the runs naming them as their
    /// baseline (see `removal`), with every row that belongs to them (params, metrics,
    /// reported metrics, tensors, tags: ON DELETE CASCADE), inside the caller's transaction.
    /// Blobs stay (shared by content) until `gc`. Throws, removing nothing, for an unknown id or
    /// when any of those runs is being recorded by a live process.
    public static func remove(_ source: some RowSource, _ writer: some RecordWriting, _ ids: [Int64]) throws -> RunRemoval {
        let plan = try removal(source, ids)
        // delete_run.sql (shared with sweep resume) keeps a run that a stage still names as its
        // parent, so remove the stages first: each pass removes the runs with no child left.
        var left = plan.ids
        while !left.isEmpty {
            let before = left.count
            left = try left.filter { id in try writer.integer("delete_run", ["id": id.databaseValue]) == nil }
            if left.count == before {
                throw StoreError.invalidQuery("runs \(left.map(String.init).joined(separator: ", ")) name each other as parents; nothing was removed")
            }
        }
        return plan
    }
}

extension RunEdits {
    /// Finds, and deletes through `writer` (nil: only finds), what no run uses: base models no
    /// run names (with their files and cached probes), datasets no run or remaining probe
    /// names, and blobs no tensor or remaining model file references (their chunks cascade),
    /// by SQL DELETE, never loading a blob. Refused while any run is being recorded by a live
    /// process (it may be about to name a model or blob this would delete).
    public static func collectGarbage(_ source: some RowSource, _ writer: (some RecordWriting)?,
                                      report start: GarbageReport) throws -> GarbageReport {
        if let live = try source.liveRuns().first {
            throw DeletionError.running(id: live.id, reason: nil, host: live.host, pid: live.pid, gc: true)
        }
        func text(_ v: TableValue) -> String { if case .text(let t) = v { t } else { "" } }
        var r = start
        let models = try source.table("unused_models", columns: ["hash", "name"]).rows
        let datasets = try source.table("unused_datasets", columns: ["hash", "name"]).rows
        let blobs = try source.table("unused_blobs", columns: ["hash", "size"]).rows
        r.models = models.map { text($0[1]) }
        r.datasets = datasets.map { text($0[1]) }
        r.blobs = blobs.count
        r.blobBytes = blobs.reduce(0) { total, row in if case .int(let n) = row[1] { total + n } else { total } }
        guard let writer else { return r }
        for row in models {
            for query in ["delete_model_probes", "delete_model_files", "delete_model"] {
                try writer.execute(query, ["hash": text(row[0]).databaseValue])
            }
        }
        for row in datasets { try writer.execute("delete_dataset", ["hash": text(row[0]).databaseValue]) }
        for row in blobs { try writer.execute("delete_blob", ["hash": text(row[0]).databaseValue]) }
        return r
    }
}

extension Store {
    /// What `removeRuns` would remove (`RunEdits.removal`). Reads only.
    public func removalPlan(_ ids: [Int64]) throws -> RunRemoval {
        try read { db in try RunEdits.removal(SQLiteRows(db: db), ids) }
    }

    /// `RunEdits.remove` in one transaction.
    @discardableResult
    public func removeRuns(_ ids: [Int64]) throws -> RunRemoval {
        try write { db in try RunEdits.remove(SQLiteRows(db: db), SQLiteRecordWriter(db: db), ids) }
    }

    /// Deletes what no run uses: base models no run names (with their files and cached
    /// probes), datasets no run or remaining probe names, and blobs no tensor or remaining model
    /// file references (their chunks cascade) — in one transaction, by SQL DELETE, never
    /// loading a blob. Then gives the free pages back to the file system (VACUUM, or
    /// incremental_vacuum when the file uses it); when that cannot run, the rows stay deleted
    /// and SQLite reuses their space. Refused while any run is being recorded by a live process
    /// (it may be about to name a model or blob this would delete). `dryRun` only reads.
    @discardableResult
    public func collectGarbage(dryRun: Bool = false) throws -> GarbageReport {
        var base = GarbageReport(dryRun: dryRun)
        base.fileBytesBefore = onDiskBytes()
        base.fileBytesAfter = base.fileBytesBefore
        if dryRun { return try read { db in try RunEdits.collectGarbage(SQLiteRows(db: db), nil as SQLiteRecordWriter?, report: base) } }
        var report = try write { db in try RunEdits.collectGarbage(SQLiteRows(db: db), SQLiteRecordWriter(db: db), report: base) }
        // This store's cache of rows it need not write again must not outlive them.
        if !report.models.isEmpty || !report.datasets.isEmpty { known.forgetHashes() }
        report.reclaim = reclaimSpace()
        report.fileBytesAfter = onDiskBytes()
        return report
    }

    /// Free space worth a VACUUM whatever the file's size.
    static let reclaimBytes = 1 << 20

    /// VACUUM (or incremental_vacuum) when a real part of the file is free, then a truncating checkpoint
    /// so the file shrinks now rather than at the next writer's checkpoint.
    func reclaimSpace() -> GarbageReport.Reclaim {
        do {
            let (free, pages, pageSize, mode) = try pool.read { db in
                (try Int.fetchOne(db, sql: SQLText.query("freelist_count")) ?? 0,
                 try Int.fetchOne(db, sql: SQLText.query("page_count")) ?? 0,
                 try Int.fetchOne(db, sql: SQLText.query("page_size")) ?? 4096,
                 try Int.fetchOne(db, sql: SQLText.query("auto_vacuum")) ?? 0)
            }
            // VACUUM rewrites the whole file: worth it when a real part of it is free, not for
            // the page or two any writer leaves free (GRDB's pool creates and drops a table on open).
            guard free * pageSize >= Self.reclaimBytes || free * 10 >= pages, free > 2 else { return .notNeeded }
            // VACUUM cannot run inside a transaction; it takes the write lock like any writer
            // (waiting up to the busy timeout) and works beside readers in WAL mode.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: SQLText.query(mode == 2 ? "incremental_vacuum" : "vacuum"))
            }
            let busy = try pool.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: SQLText.query("checkpoint_truncate")).map { $0[0] as Int } ?? 1
            }
            return .done(shrunk: busy == 0)
        } catch let error as DatabaseError {
            return .failed(StoreError.from(error, path: path).description)
        } catch {
            return .failed(String(describing: error))
        }
    }

    /// The database file plus its write-ahead log, in bytes.
    func onDiskBytes() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            total + Int64((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
    }
}
