import Foundation
import GRDB

/// Another Pare database read for a merge into a store of another kind (PostgreSQL), which
/// cannot ATTACH the file as `Store.merge` does: its rows as plain values, its blobs one at a
/// time. The file is only read (`ReadConnection`: no byte written, none beside it); one from
/// an older Pare is read from a migrated temporary copy, so its runs get the same legacy uids
/// a merge into SQLite gives them.
public final class MergeSource {
    /// The other database, as given.
    public let path: String
    private let store: Store
    private let upgraded: String?

    /// Every row a merge copies except blobs' bytes, read in one transaction: one consistent
    /// state of the file even while a writer records into it.
    public struct Snapshot {
        public var runs, experiments, params, metrics, reportedMetrics, tags, tensors: [[String: DatabaseValue]]
        public var models, datasets, modelFiles, probes, teacherAnswers: [[String: DatabaseValue]]
    }

    /// Params whose value is the id of another run of the same database (`baseline_run`), which
    /// a merge remaps to that run's id in the target.
    public static var runIDParams: [String] { Store.runIDParams }

    /// Checks `path` as `Store.checkMergeSource` does and opens it; nil for an empty file (a
    /// database nothing was recorded into: there is nothing to merge).
    public static func open(_ path: String, into target: String) throws -> MergeSource? {
        switch try Store.inspectMergeSource(path, into: target) {
        case .empty: return nil
        case .current: return try MergeSource(path: path, reading: path, upgraded: nil)
        case .older:
            let copy = try Store.upgradedCopy(of: path)
            do { return try MergeSource(path: path, reading: copy, upgraded: copy) } catch {
                Self.remove(copy)
                throw error
            }
        }
    }

    private init(path: String, reading file: String, upgraded: String?) throws {
        self.path = path
        self.upgraded = upgraded
        store = try Store(readingAt: file)
    }

    deinit { if let upgraded { Self.remove(upgraded) } }

    private static func remove(_ copy: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
    }

    public func snapshot() throws -> Snapshot {
        try store.read { db in
            func rows(_ query: String) throws -> [[String: DatabaseValue]] {
                try Row.fetchAll(db, sql: SQLText.query(query)).map { row in
                    Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
                }
            }
            return Snapshot(runs: try rows("merge_source_runs"), experiments: try rows("merge_source_experiments"),
                            params: try rows("merge_source_params"), metrics: try rows("merge_source_metrics"),
                            reportedMetrics: try rows("merge_source_reported_metrics"), tags: try rows("merge_source_tags"),
                            tensors: try rows("merge_source_tensors"), models: try rows("merge_source_models"),
                            datasets: try rows("merge_source_datasets"), modelFiles: try rows("merge_source_model_files"),
                            probes: try rows("merge_source_probes"), teacherAnswers: try rows("merge_source_teacher_answers"))
        }
    }

    /// One blob: its size, and either its bytes (`chunks` 0) or the number of pieces to read
    /// with `chunk(of:seq:)`. A blob the snapshot names but the file no longer holds (a `gc`
    /// there meanwhile) is the sentence `MergeError.changedDuringMerge`.
    public func blob(_ hash: String) throws -> (size: Int64, data: [UInt8], chunks: Int) {
        try store.read { db in
            guard let row = try Row.fetchOne(db, sql: SQLText.query("merge_source_blob"), arguments: ["hash": hash]) else {
                throw MergeError.changedDuringMerge(path: path)
            }
            return (row["size"], [UInt8](row["data"] as Data), row["chunks"])
        }
    }

    /// Piece `seq` (from 0) of a chunked blob.
    public func chunk(of hash: String, seq: Int) throws -> [UInt8] {
        try store.read { db in
            guard let data = try Data.fetchOne(db, sql: SQLText.query("blob_chunk"),
                                               arguments: ["blob_hash": hash, "seq": seq]) else {
                throw MergeError.changedDuringMerge(path: path)
            }
            return [UInt8](data)
        }
    }

    /// A run's notes with "baseline: run OLD …" naming its companion run by its id in the
    /// target, as `merge_runs.sql` rewrites them for a merge into SQLite.
    public static func notes(_ json: String, baseline old: Int64, becomes new: Int64) -> String {
        guard let notes = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else { return json }
        let prefix = "baseline: run \(old)"
        return CanonicalJSON.array(notes.map { note in
            note == prefix || note.hasPrefix(prefix + " ") ? "baseline: run \(new)" + note.dropFirst(prefix.count) : note
        })
    }
}
