import Foundation
import GRDB
import Testing
import PareTensor
@testable import PareStore

/// `pare merge` as a library: runs copied with their record and lineage under new ids, blobs
/// stored once, idempotent, the other file never written, older schemas upgraded in a copy,
/// bad inputs refused with the target unchanged.
@Suite struct MergeTests {
    static func bytes(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 2654435761 >> 7) }
    }

    static let shared = EncodedTensor(encoding: "int8-channel", shape: [4, 4], meta: ["bits": "8"], payload: bytes(24, seed: 1))
    static let onlyA = EncodedTensor(encoding: "dense", shape: [3], payload: bytes(12, seed: 2))
    static let onlyB = EncodedTensor(encoding: "dense", shape: [2], payload: bytes(8, seed: 3))

    /// The uid of a run.
    static func uid(_ store: Store, _ id: Int64) throws -> String {
        try store.read { db in try String.fetchOne(db, sql: "SELECT uid FROM runs WHERE id = ?", arguments: [id])! }
    }

    /// The id here of the run with that uid.
    static func id(_ store: Store, uid: String) throws -> Int64? {
        try store.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE uid = ?", arguments: [uid]) }
    }

    /// The file's bytes, to prove a merge never wrote it.
    static func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// A closed database with one run holding the shared tensor and one of its own.
    static func database(_ label: String, own: EncodedTensor, accuracy: Double) throws -> (path: String, run: Int64) {
        let path = tempDBPath(label)
        let store = try Store(path: path, create: true)
        defer { store.close() }
        let run = try store.record(start(name: label), outcome(["accuracy": accuracy],
                                                              tensors: [(name: "fc1.weight", tensor: shared), (name: "fc1.bias", tensor: own)]))
        return (path, run)
    }

    @Test func overlappingBlobsAreStoredOnceAndTensorsComeBackIdentical() throws {
        let a = try Self.database("a", own: Self.onlyA, accuracy: 0.9)
        let b = try Self.database("b", own: Self.onlyB, accuracy: 0.8)
        let before = try Self.contents(a.path)
        let target = try Store(path: b.path, create: false)
        let summary = try target.merge(from: a.path)
        #expect(summary == MergeSummary(source: a.path, merged: 1, alreadyPresent: 0, stillRunning: 0,
                                        blobsCopied: 1, blobsAlreadyPresent: 1))
        #expect(summary.description == "merged 1 run (0 already present, 0 still running, skipped) from \(a.path)")
        #expect(try target.count("SELECT count(*) FROM blobs") == 3)
        #expect(try target.count("SELECT count(*) FROM runs") == 2)
        let source = try Store(readingAt: a.path)
        let merged = try #require(try Self.id(target, uid: Self.uid(source, a.run)))
        #expect(try target.tensors(run: merged).map(\.name) == ["fc1.weight", "fc1.bias"])
        #expect(try target.tensors(run: merged).map(\.tensor) == source.tensors(run: a.run).map(\.tensor))
        #expect(try Self.contents(a.path) == before)
        #expect(!FileManager.default.fileExists(atPath: a.path + "-wal") && !FileManager.default.fileExists(atPath: a.path + "-shm"))
    }

    @Test func aChunkedBlobInBothIsStoredOnce() throws {
        let big = EncodedTensor(encoding: "dense", shape: [(RunWriter.blobChunkBytes + 8) / 4],
                                payload: Self.bytes(RunWriter.blobChunkBytes + 8, seed: 9))
        let a = try Self.database("chunk-a", own: big, accuracy: 0.9)
        let b = try Self.database("chunk-b", own: big, accuracy: 0.8)
        let c = tempDBPath("chunk-c")
        let target = try Store(path: c, create: true)
        #expect(try target.merge(from: a.path).blobsCopied == 2)
        #expect(try target.merge(from: b.path).blobsAlreadyPresent == 2)
        #expect(try target.count("SELECT count(*) FROM blob_chunks") == 2)
        #expect(try target.count("SELECT count(*) FROM blobs") == 2)
        for id in try ids(target, "") { #expect(try target.tensors(run: id)[1].tensor == big) }
    }

    @Test func mergingTwiceOrAlongAChainNeverDuplicates() throws {
        let a = try Self.database("twice-a", own: Self.onlyA, accuracy: 0.9)
        let b = try Self.database("twice-b", own: Self.onlyB, accuracy: 0.8)
        let target = try Store(path: b.path, create: false)
        _ = try target.merge(from: a.path)
        let once = try target.fingerprint()
        let again = try target.merge(from: a.path)
        #expect(again.merged == 0 && again.alreadyPresent == 1 && again.blobsCopied == 0)
        #expect(try target.fingerprint() == once)
        target.close()

        // A into B, B's copy into C, then A into C as well: C holds each run once.
        let c = try Store(path: tempDBPath("twice-c"), create: true)
        #expect(try c.merge(from: b.path).merged == 2)
        let chained = try c.merge(from: a.path)
        #expect(chained.merged == 0 && chained.alreadyPresent == 1)
        #expect(try c.count("SELECT count(*) FROM runs") == 2)
        #expect(try c.count("SELECT count(DISTINCT uid) FROM runs") == 2)
    }

    @Test func idsAreRemappedWithLineageIntact() throws {
        let path = tempDBPath("lineage")
        let source = try Store(path: path, create: true)
        let parent = try source.record(start("prune-magnitude", name: "stage 1"), outcome(["accuracy": 0.91]))
        let child = try source.record(start("quant-weight", name: "stage 2", parent: parent), outcome(["accuracy": 0.9]))
        let baseline = try source.record(start("train-student", name: "distill [baseline]"), outcome(["accuracy": 0.8]))
        var distilled = outcome(["accuracy": 0.85, "accuracy_gain_over_baseline": 0.05])
        distilled.params["baseline_run"] = .int(Int(baseline))
        // The note names the baseline by id, as Recorder writes it; a run 3 elsewhere is not it.
        distilled.notes = ["baseline: run \(baseline) (accuracy 0.8000); this run 0.8500, gain +0.0500",
                           "baseline: run \(baseline)0 is another run", "teacher: \"t\" é"]
        let distill = try source.record(start("distill", name: "distill"), distilled)
        source.close()

        // The target has runs of its own, so the copies cannot keep their ids.
        let target = try newStore("lineage-target")
        for i in 0..<5 { _ = try target.record(start(name: "own \(i)", config: ["i": .int(i)]), outcome(["accuracy": 0.5])) }
        #expect(try target.merge(from: path).merged == 4)
        let reader = try Store(readingAt: path)
        func here(_ id: Int64) throws -> Int64 { try #require(try Self.id(target, uid: Self.uid(reader, id))) }
        #expect(try here(parent) == 6 && here(child) == 7 && here(baseline) == 8 && here(distill) == 9)
        #expect(try target.count("SELECT parent_run_id FROM runs WHERE id = \(here(child))") == Int(try here(parent)))
        #expect(try target.count("SELECT count(*) FROM runs WHERE parent_run_id IS NOT NULL") == 1)
        #expect(try target.show(run: here(distill)).params.rows.contains([.text("baseline_run"), .int(try here(baseline))]))
        // Its note follows the remapped id; the other notes are kept as they were, in order.
        #expect(try target.show(run: here(distill)).notes == [
            "baseline: run \(try here(baseline)) (accuracy 0.8000); this run 0.8500, gain +0.0500",
            "baseline: run \(baseline)0 is another run", "teacher: \"t\" é"])
        #expect(try target.show(run: here(parent)).notes == reader.show(run: parent).notes)
    }

    @Test func aMergedRunShowsAsTheOriginalExceptItsId() throws {
        let path = tempDBPath("show")
        let source = try Store(path: path, create: true)
        var s = start("gptq-autogptq", name: "logged", experiment: "edge", config: ["bits": .int(4), "group": .int(128)])
        s.source = .log
        s.startedAt = "2025-03-01T10:00:00.000Z"
        s.endedAt = "2025-03-01T10:05:30.250Z"
        let run = try source.record(s, RunOutcome(
            metrics: [(key: "perplexity", value: 31.5, step: 0), (key: "loss", value: 2.5, step: 3), (key: "size_bytes", value: 90e6, step: 0)],
            tensors: [(name: "w", tensor: Self.onlyA)], notes: ["from a script"], reported: ["perplexity"],
            reportedAlongside: [(key: "size_bytes", value: 89e6, step: 0)], tags: ["team": "edge", "gpu": "a100"]))
        let running = try source.beginRun(start(name: "still going"))
        let failed = try source.record(start(name: "broke"), RunOutcome(error: "out of memory"))
        source.close()

        let target = try newStore("show-target")
        for i in 0..<2 { _ = try target.record(start(name: "own \(i)", config: ["i": .int(i)]), outcome(["accuracy": 0.5])) }
        let summary = try target.merge(from: path)
        #expect(summary.merged == 2 && summary.stillRunning == 1)
        #expect(summary.description.hasSuffix("merged 2 runs (0 already present, 1 still running, skipped) from \(path)"))
        let reader = try Store(readingAt: path)
        for original in [run, failed] {
            let copy = try #require(try Self.id(target, uid: Self.uid(reader, original)))
            #expect(copy != original)
            let (mine, theirs) = (try reader.show(run: original), try target.show(run: copy))
            func fields(_ d: RunDetail) -> [String] { d.fields.filter { $0.name != "id" }.map { "\($0.name)=\($0.value)" } }
            #expect(fields(theirs) == fields(mine))
            #expect(theirs.params == mine.params && theirs.metrics == mine.metrics && theirs.reportedMetrics == mine.reportedMetrics)
            #expect(theirs.tensors == mine.tensors && theirs.notes == mine.notes && theirs.error == mine.error)
        }
        #expect(try target.count("SELECT count(*) FROM tags") == 2)
        #expect(try Self.id(target, uid: Self.uid(reader, running)) == nil)
    }

    @Test func aSourceStillOpenByItsWriterIsReadThroughItsLog() throws {
        let path = tempDBPath("open")
        let source = try Store(path: path, create: true)
        defer { source.close() }
        _ = try source.record(start(name: "x"), outcome(["accuracy": 0.7], tensors: [(name: "w", tensor: Self.onlyA)]))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        let target = try newStore("open-target")
        #expect(try target.merge(from: path).merged == 1)
        #expect(try target.count("SELECT count(*) FROM blobs") == 1)
    }

    @Test func modelFilesProbesAndTeacherAnswersComeAlongOnce() throws {
        let path = tempDBPath("caches")
        let source = try Store(path: path, create: true)
        var s = start(name: "encoder")
        s.baseModel!.files = [(name: "config.json", bytes: Array(#"{"model_type":"bert"}"#.utf8)),
                              (name: "tokenizer.json", bytes: Array(#"{"model":{}}"#.utf8))]
        _ = try source.record(s, outcome(["accuracy": 0.9]))
        let model = s.baseModel!.hash, dataset = s.train!.hash
        try source.recordProbe(model: model, dataset: dataset, json: #"{"classes":2}"#, trainAccuracy: 0.9)
        try source.saveTeacherAnswers(teacher: "python3 teacher.py", [(inputHash: "00ff", answer: #"{"label":1}"#)])
        source.close()

        let target = try newStore("caches-target")
        _ = try target.merge(from: path)
        #expect(try target.modelFiles(model: model) == ["config.json": Array(#"{"model_type":"bert"}"#.utf8),
                                                         "tokenizer.json": Array(#"{"model":{}}"#.utf8)])
        #expect(try target.probe(model: model, dataset: dataset) == #"{"classes":2}"#)
        #expect(try target.teacherAnswers(teacher: "python3 teacher.py", inputHashes: ["00ff"]) == ["00ff": #"{"label":1}"#])
        let once = try target.fingerprint()
        let counts = "SELECT (SELECT count(*) FROM model_files) * 100 + (SELECT count(*) FROM probes) * 10 + (SELECT count(*) FROM teacher_answers)"
        #expect(try target.count(counts) == 211)
        _ = try target.merge(from: path)
        #expect(try target.fingerprint() == once && target.count(counts) == 211)
    }

    /// A database as Pare wrote it before migration 0006 (no uid, no source, no tags).
    static func olderDatabase() throws -> String {
        let path = tempDBPath("older")
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "0005_transformers")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO experiments (id, name, created_at) VALUES (1, 'old', '2024-05-01T00:00:00.000Z');
                INSERT INTO runs (id, experiment_id, name, method, status, config, config_hash, started_at, ended_at, pare_version)
                VALUES (3, 1, 'first', 'none', 'finished', '{"method":"none"}', 'h3', '2024-05-01T01:00:00.000Z', '2024-05-01T01:01:00.000Z', '0.0.9'),
                       (4, 1, 'second', 'quant-weight', 'finished', '{"bits":4,"method":"quant-weight"}', 'h4', '2024-05-01T02:00:00.000Z', '2024-05-01T02:01:00.000Z', '0.0.9');
                UPDATE runs SET parent_run_id = 3 WHERE id = 4;
                INSERT INTO params (run_id, key, value) VALUES (4, 'bits', 4), (4, 'method', 'quant-weight');
                INSERT INTO metrics (run_id, key, step, value) VALUES (3, 'accuracy', 0, 0.95), (4, 'accuracy', 0, 0.93);
                """)
        }
        try queue.close()
        return path
    }

    @Test func anOlderSchemaIsUpgradedInACopyWithMigration0006sUids() throws {
        let path = try Self.olderDatabase()
        let before = try Self.contents(path)
        func copies() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
                .filter { $0.hasPrefix("pare-merge-") && $0.hasSuffix(".sqlite") }
        }
        let copiesBefore = try copies()
        let target = try newStore("older-target")
        _ = try target.record(start(name: "own"), outcome(["accuracy": 0.5]))
        let summary = try target.merge(from: path)
        #expect(summary.merged == 2)
        let first = try #require(try Self.id(target, uid: "legacy:3:2024-05-01T01:00:00.000Z:h3"))
        let second = try #require(try Self.id(target, uid: "legacy:4:2024-05-01T02:00:00.000Z:h4"))
        #expect(first == 2 && second == 3)
        #expect(try target.count("SELECT parent_run_id FROM runs WHERE id = \(second)") == Int(first))
        #expect(try target.show(run: second).metrics.rows == [[.text("accuracy"), .double(0.93), .int(0), .text("pare")]])
        #expect(try target.count("SELECT count(*) FROM runs WHERE source = 'pare'") == 3)
        // Idempotent across the copy too: the derived uids are the same each time.
        #expect(try target.merge(from: path).alreadyPresent == 2)
        #expect(try Self.contents(path) == before)
        #expect(try copies() == copiesBefore)   // the upgraded copy is removed
        let untouched = try DatabaseQueue(path: ReadConnection.uri(path, immutable: true))
        #expect(try untouched.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == 5)
    }

    @Test func badInputsAreRefusedWithTheTargetUnchanged() throws {
        let a = try Self.database("bad-a", own: Self.onlyA, accuracy: 0.9)
        let targetPath = tempDBPath("bad-target")
        let target = try Store(path: targetPath, create: true)
        _ = try target.record(start(name: "own"), outcome(["accuracy": 0.5]))
        let before = try target.fingerprint()

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pare-merge-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = directory.appendingPathComponent("notes.txt").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: text))
        let foreign = directory.appendingPathComponent("foreign.sqlite").path
        try DatabaseQueue(path: foreign).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        let newer = directory.appendingPathComponent("newer.sqlite").path
        try FileManager.default.copyItem(atPath: a.path, toPath: newer)
        try DatabaseQueue(path: newer).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('9999_future')") }
        let link = directory.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: targetPath)

        for (path, words) in [(directory.appendingPathComponent("absent.sqlite").path, "no database"),
                              (text, "not SQLite"), (foreign, "not a Pare database"), (newer, "newer Pare"),
                              (targetPath, "into itself"), (link, "into itself")] {
            do {
                _ = try target.merge(from: path)
                Issue.record("merging \(path) was not refused")
            } catch {
                #expect(String(describing: error).contains(words), "\(error)")
                #expect(!String(describing: error).contains("\n"))
            }
            #expect(try target.fingerprint() == before)
        }
    }
}
