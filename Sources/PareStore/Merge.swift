import Foundation
import GRDB

/// What one `pare merge` of another database did.
public struct MergeSummary: Sendable, Equatable, CustomStringConvertible {
    /// The other database, as given.
    public var source: String
    /// Runs copied (new here).
    public var merged: Int
    /// The other's runs whose uid this database already held (not copied again).
    public var alreadyPresent: Int
    /// The other's 'running' runs (still recording, or interrupted and not yet reaped there): skipped.
    public var stillRunning: Int
    /// Blobs the copied runs and model files needed that were copied, and that were here already.
    public var blobsCopied: Int
    public var blobsAlreadyPresent: Int

    public init(source: String, merged: Int = 0, alreadyPresent: Int = 0, stillRunning: Int = 0,
                blobsCopied: Int = 0, blobsAlreadyPresent: Int = 0) {
        self.source = source
        self.merged = merged
        self.alreadyPresent = alreadyPresent
        self.stillRunning = stillRunning
        self.blobsCopied = blobsCopied
        self.blobsAlreadyPresent = blobsAlreadyPresent
    }

    public var description: String {
        "merged \(merged) run\(merged == 1 ? "" : "s") (\(alreadyPresent) already present, \(stillRunning) still running, skipped) from \(source)"
    }
}

/// Why a database cannot be merged, as one sentence.
public enum MergeError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case intoItself(path: String, target: String)
    case changedDuringMerge(path: String)

    public var description: String {
        switch self {
        case let .missing(path):
            "no database at \(path) to merge; check the path"
        case let .intoItself(path, target):
            path == target ? "\(path) is the database being merged into; a database cannot be merged into itself"
                : "\(path) is the database being merged into (the same file as \(target)); a database cannot be merged into itself"
        case let .changedDuringMerge(path):
            "\(path) changed while it was being merged (a writer opened it); nothing was merged, try again when it is idle"
        }
    }
}

extension Store {
    /// Params whose value is the id of another run of the same database, remapped by a merge.
    /// (`baseline_run`: the companion run a distillation is compared with, Recorder.link.)
    static let runIDParams = ["baseline_run"]

    /// What a merge source is, once checked.
    enum MergeSourceKind: Equatable { case current, older, empty }

    /// Checks that `path` can be merged into `target` without touching either: it exists, is not
    /// `target` itself (also through a symlink or a hard link), and is a Pare database of this
    /// schema or an older one. Throws the one-sentence reason otherwise (another application's
    /// file, a newer Pare's, a damaged one).
    public static func checkMergeSource(_ path: String, into target: String) throws {
        _ = try inspectMergeSource(path, into: target)
    }

    static func inspectMergeSource(_ path: String, into target: String) throws -> MergeSourceKind {
        guard FileManager.default.fileExists(atPath: path) else { throw MergeError.missing(path: path) }
        if FileState.sameFile(path, target) {
            throw MergeError.intoItself(path: path, target: target)
        }
        do {
            // The reader never writes a byte of the file, and refuses what is not Pare's.
            _ = try Store(readingAt: path)
            return .current
        } catch StoreError.olderSchema {
            return .older
        } catch StoreError.empty {
            return .empty
        }
    }

    /// Copies the other database's runs that this one lacks (by uid) with everything recorded
    /// about them — params, metrics, reported metrics, tags, tensors and their blobs, lineage —
    /// plus its experiments (by name), base models and their files, datasets (by hash) and its
    /// caches (probes, teacher answers), in one write transaction: all of it or nothing.
    ///
    /// Ids are remapped: a copied run gets the next free id here, its pipeline parent and a
    /// param naming another run (`baseline_run`) point at that run's id here. Blobs are
    /// content-addressed, so one already here is not copied. 'running' runs are skipped (they
    /// are not finished; merge again later). Merging again changes nothing.
    ///
    /// The other file is attached read-only (`mode=ro`, `immutable=1` when no writer has it
    /// open) and never written. One from an older Pare is first copied to a temporary file and
    /// migrated there, so its runs get the same legacy uids migration 0006 gives them in place.
    public func merge(from path: String) throws -> MergeSummary {
        try requireWritable()
        var summary = MergeSummary(source: path, merged: 0, alreadyPresent: 0, stillRunning: 0,
                                   blobsCopied: 0, blobsAlreadyPresent: 0)
        let kind = try Self.inspectMergeSource(path, into: self.path)
        if kind == .empty { return summary }
        let upgraded = kind == .older ? try Self.upgradedCopy(of: path) : nil
        defer {
            if let upgraded {
                for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: upgraded + suffix) }
            }
        }
        let attached = upgraded ?? path
        // Without a -wal file no writer has the other open: read it immutable (no locks, no side
        // files) and make sure it did not move meanwhile. With one, SQLite's read-only mode reads
        // a consistent snapshot through the writer's -shm.
        let immutable = !FileManager.default.fileExists(atPath: attached + "-wal")
        let before = FileState(attached)
        do {
            try pool.writeWithoutTransaction { db in
                // SQLite refuses ATTACH inside a transaction, so the other is attached around it.
                try db.execute(sql: SQLText.query("merge_attach"),
                               arguments: ["uri": ReadConnection.uri(attached, immutable: immutable)])
                defer { try? db.execute(sql: SQLText.query("merge_detach")) }
                try db.inTransaction(.immediate) {
                    for name in ["merge_defer_foreign_keys", "merge_drop_run_map", "merge_drop_blob_map",
                                 "merge_create_run_map", "merge_fill_run_map", "merge_create_blob_map", "merge_fill_blob_map",
                                 "merge_experiments", "merge_models", "merge_datasets", "merge_blobs", "merge_blob_chunks",
                                 "merge_runs"] {
                        try db.execute(sql: SQLText.query(name))
                    }
                    let keys = String(data: try JSONEncoder().encode(Self.runIDParams), encoding: .utf8)!
                    try db.execute(sql: SQLText.query("merge_params"), arguments: ["run_id_keys": keys])
                    for name in ["merge_metrics", "merge_reported_metrics", "merge_tags", "merge_tensors",
                                 "merge_model_files", "merge_probes", "merge_teacher_answers"] {
                        try db.execute(sql: SQLText.query(name))
                    }
                    if let row = try Row.fetchOne(db, sql: SQLText.query("merge_counts")) {
                        summary.merged = row["copied"]
                        summary.alreadyPresent = row["present"]
                        summary.stillRunning = row["running"]
                        summary.blobsCopied = row["blobs_copied"]
                        summary.blobsAlreadyPresent = row["blobs_present"]
                    }
                    try db.execute(sql: SQLText.query("merge_drop_run_map"))
                    try db.execute(sql: SQLText.query("merge_drop_blob_map"))
                    if immutable && FileState(attached) != before { throw MergeError.changedDuringMerge(path: path) }
                    return .commit
                }
            }
        } catch let error as DatabaseError {
            throw StoreError.from(error, path: self.path)
        }
        return summary
    }

    /// A copy of an older Pare database, migrated to this binary's schema, in the temporary
    /// directory (the caller removes it). The original is read through `ReadConnection` only.
    static func upgradedCopy(of path: String) throws -> String {
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("pare-merge-\(UUID().uuidString).sqlite").path
        do {
            let source = try ReadConnection(path: path)
            let destination = try DatabaseQueue(path: copy)
            try destination.writeWithoutTransaction { destinationDB in
                try source.read { try $0.backup(to: destinationDB) }
            }
            try Migrations.migrator.migrate(destination)
            try destination.close()
        } catch {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
            if let error = error as? DatabaseError { throw StoreError.from(error, path: path) }
            throw error
        }
        return copy
    }
}
