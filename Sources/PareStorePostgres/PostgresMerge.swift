import Foundation
import GRDB
import PareStore

extension PostgresStore {
    /// `pare merge OTHER.sqlite --into postgresql://…`: the other database's runs this store
    /// lacks (by uid), with everything `Store.merge` copies into a SQLite file — params,
    /// metrics, reported metrics, tags, tensors and their blobs, lineage, experiments (by
    /// name), base models and their files, datasets, probes, teacher answers — in one
    /// transaction: all of it or nothing.
    ///
    /// The same rules as SQLite's merge (Merge.swift, queries/merge_*.sql): a copied run gets a
    /// new id (here from the runs' sequence, in the other's id order, so a pipeline's stages keep
    /// their order), its parent and its `baseline_run` param (and the note naming that run)
    /// follow; blobs are copied once (by hash, a chunked one piece by piece, never all at once
    /// in memory); 'running' runs are skipped; merging again changes nothing. Merges into one
    /// store take turns (merge_lock), so two hosts merging the same shard copy it once.
    public func merge(from source: MergeSource) throws -> MergeSummary {
        let other = try source.snapshot()
        return try lock.withLock {
            try session.transaction { try copy(other, from: source) }
        }
    }

    private func copy(_ other: MergeSource.Snapshot, from source: MergeSource) throws -> MergeSummary {
        var summary = MergeSummary(source: source.path)
        try session.run("merge_lock")

        // The run map: old id → id here, for the runs already here (by uid) and the copied ones.
        var here: [String: Int64] = [:]
        let uids = other.runs.compactMap { text($0["uid"]) }
        for row in try session.run("merge_run_ids", ["uids": CanonicalJSON.array(uids).databaseValue]).rows {
            if case .text(let uid) = row[0], case .int(let id) = row[1] { here[uid] = id }
        }
        var map: [Int64: Int64] = [:]
        var copied: [[String: DatabaseValue]] = []
        for run in other.runs {
            guard let id = integer(run["id"]) else { continue }
            if let uid = text(run["uid"]), let existing = here[uid] {
                map[id] = existing
                summary.alreadyPresent += 1
            } else if text(run["status"]) == "running" {
                summary.stillRunning += 1
            } else {
                copied.append(run)
            }
        }
        summary.merged = copied.count
        let newIDs = try session.reserveRunIDs(copied.count)
        for (run, id) in zip(copied, newIDs) { map[integer(run["id"])!] = id }
        let isCopied = Set(copied.compactMap { integer($0["id"]) })
        func copiedRows(_ rows: [[String: DatabaseValue]]) -> [[String: DatabaseValue]] {
            rows.compactMap { row in
                guard let old = integer(row["run_id"]), isCopied.contains(old) else { return nil }
                var out = row
                out["run_id"] = map[old]!.databaseValue
                return out
            }
        }

        // Experiments (by name), models and datasets (by hash) before the runs that name them.
        var experimentIDs: [Int64: Int64] = [:]
        let needed = Set(copied.compactMap { integer($0["experiment_id"]) })
        for experiment in other.experiments {
            guard let old = integer(experiment["id"]), needed.contains(old) else { continue }
            try session.run("merge_experiment", ["name": experiment["name"] ?? .null, "created_at": experiment["created_at"] ?? .null])
            if case .int(let id)? = try session.run("experiment_id", ["name": experiment["name"] ?? .null]).rows.first?.first {
                experimentIDs[old] = id
            }
        }
        for model in other.models { try session.run("record_model", model) }
        for dataset in other.datasets { try session.run("record_dataset", dataset) }

        // Blobs the copied tensors and the new model files need, those not here copied once.
        var presentFiles = Set<[String]>()
        let fileKeys = other.modelFiles.map { ["model_hash": $0["model_hash"] ?? .null, "name": $0["name"] ?? .null] }
        if !fileKeys.isEmpty {
            for row in try session.run("merge_present_model_files", ["rows": JSONRows.encode(fileKeys).databaseValue]).rows {
                if case .text(let hash) = row[0], case .text(let name) = row[1] { presentFiles.insert([hash, name]) }
            }
        }
        let newFiles = other.modelFiles.filter { !presentFiles.contains([text($0["model_hash"]) ?? "", text($0["name"]) ?? ""]) }
        let tensors = copiedRows(other.tensors)
        let neededBlobs = Set((tensors + newFiles).compactMap { text($0["blob_hash"]) }).sorted()
        var presentBlobs = Set<String>()
        if !neededBlobs.isEmpty {
            for row in try session.run("merge_present_blobs", ["hashes": CanonicalJSON.array(neededBlobs).databaseValue]).rows {
                if case .text(let hash) = row[0] { presentBlobs.insert(hash) }
            }
        }
        for hash in neededBlobs where !presentBlobs.contains(hash) { try copyBlob(hash, from: source) }
        summary.blobsAlreadyPresent = presentBlobs.count
        summary.blobsCopied = neededBlobs.count - presentBlobs.count

        // The runs, then their rows. A baseline_run param names another run: its id here.
        let runIDKeys = Set(MergeSource.runIDParams)
        var baselineOf: [Int64: Int64] = [:]
        for param in other.params {
            if let key = text(param["key"]), runIDKeys.contains(key), let run = integer(param["run_id"]),
               let baseline = integer(param["value"]), map[baseline] != nil {
                baselineOf[run] = baseline
            }
        }
        let runs = copied.map { run -> [String: DatabaseValue] in
            let old = integer(run["id"])!
            var row = run
            row["id"] = map[old]!.databaseValue
            row["experiment_id"] = integer(run["experiment_id"]).flatMap { experimentIDs[$0] }?.databaseValue ?? .null
            row["parent_run_id"] = integer(run["parent_run_id"]).flatMap { map[$0] }?.databaseValue ?? .null
            if let baseline = baselineOf[old], let notes = text(run["notes"]) {
                row["notes"] = MergeSource.notes(notes, baseline: baseline, becomes: map[baseline]!).databaseValue
            }
            return row
        }
        let params = copiedRows(other.params).map { param -> [String: DatabaseValue] in
            var value = param["value"] ?? .null
            if let key = text(param["key"]), runIDKeys.contains(key), let old = integer(value), let id = map[old] {
                value = id.databaseValue
            }
            var row = PostgresRecordWriter.typedColumns(value)
            row["run_id"] = param["run_id"]
            row["key"] = param["key"]
            return row
        }
        for (query, rows) in [("merge_runs_batch", runs), ("record_param_batch", params),
                              ("record_metric_batch", copiedRows(other.metrics)),
                              ("record_reported_metric_batch", copiedRows(other.reportedMetrics)),
                              ("record_tag_batch", copiedRows(other.tags)), ("merge_tensors_batch", tensors),
                              ("merge_model_files_batch", newFiles), ("merge_probes_batch", other.probes),
                              ("merge_teacher_answers_batch", other.teacherAnswers)] {
            for start in stride(from: 0, to: rows.count, by: PostgresRecordWriter.rowsPerStatement) {
                let slice = rows[start..<min(rows.count, start + PostgresRecordWriter.rowsPerStatement)]
                try session.run(query, ["rows": JSONRows.encode(slice).databaseValue])
            }
        }
        return summary
    }

    /// One blob of the other database, and a chunked one's pieces one at a time.
    private func copyBlob(_ hash: String, from source: MergeSource) throws {
        let blob = try source.blob(hash)
        try session.run("record_blob", ["hash": hash.databaseValue, "size": blob.size.databaseValue,
                                        "data": Data(blob.data).databaseValue, "chunks": Int64(blob.chunks).databaseValue])
        for seq in 0..<blob.chunks {
            let piece = try source.chunk(of: hash, seq: seq)
            try session.run("record_blob_chunk", ["blob_hash": hash.databaseValue, "seq": Int64(seq).databaseValue,
                                                  "data": Data(piece).databaseValue])
        }
    }
}

private func integer(_ value: DatabaseValue?) -> Int64? {
    if case .int64(let v)? = value?.storage { v } else { nil }
}

private func text(_ value: DatabaseValue?) -> String? {
    if case .string(let s)? = value?.storage { s } else { nil }
}
