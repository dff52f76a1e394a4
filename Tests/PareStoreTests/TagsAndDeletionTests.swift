import Foundation
import Testing
import GRDB
import PareTensor
@testable import PareStore

/// `tags.KEY` in filters, in the style of FilterTests: runs 1…5 of FilterQueryTests, with
/// team=edge on 1 and 2, team=cloud on 3, stage=4 on 4, and no tag on 5.
@Suite struct TagFilterTests {
    func store() throws -> Store {
        let store = try FilterQueryTests().bitsStore()
        try store.tag(runs: [1, 2], set: ["team": "edge"])
        try store.tag(runs: [3], set: ["team": "cloud", "owner": "Ada"])
        try store.tag(runs: [4], set: ["stage": "4"])
        return store
    }

    @Test func grammar() throws {
        #expect(try FilterParser.parse("tags.team = 'edge'").description == "tags.team = 'edge'")
        #expect(try FilterParser.parse("tag.team != \"edge\"").description == "tags.team != 'edge'")
        #expect(try FilterParser.parse("tags.`my key` like 'e%'").description == "tags.my key like 'e%'")
        let arithmetic = try? FilterParser.parse("tags.stage + 1 > 2")
        #expect(arithmetic == nil)
        do { _ = try FilterParser.parse("tags.stage + 1 > 2") } catch let error as FilterError {
            #expect(error.description == "filter: tags.stage is text; arithmetic needs numbers (metrics, base, params, run.id) at column 1")
        }
    }

    @Test func equalityAndAMissingTag() throws {
        let store = try store()
        #expect(try ids(store, "tags.team = 'edge'") == [1, 2])
        // As a missing param: a run without the tag matches neither = nor !=, and `not` of either.
        #expect(try ids(store, "tags.team != 'edge'") == [3])
        #expect(try ids(store, "not tags.team = 'edge'") == [3, 4, 5])
        #expect(try ids(store, "params.missing != 'edge'") == [])   // the param rule it follows
        #expect(try ids(store, "tags.nobody = 'x'") == [])
        #expect(try ids(store, "tags.team in ('cloud', 'edge')") == [1, 2, 3])
        #expect(try ids(store, "tags.team not in ('cloud')") == [1, 2, 4, 5])
    }

    @Test func textComparisonAndLike() throws {
        let store = try store()
        #expect(try ids(store, "tags.stage = 4") == [4])           // a tag is text: "4" = 4 by its text
        #expect(try ids(store, "tags.stage = '4'") == [4])
        #expect(try ids(store, "tags.team like 'ed%'") == [1, 2])
        #expect(try ids(store, "tags.owner like 'ada'") == [])      // like is case-sensitive
        #expect(try ids(store, "tags.owner ilike 'ada'") == [3])
        #expect(try ids(store, "tags.team like 'e*'") == [])        // GLOB characters are literal
        #expect(try ids(store, "tags.team = 'edge' and params.bits >= 3") == [2])
        #expect(try ids(store, "tags.team = 'cloud' or run.id = 5") == [3, 5])
    }

    @Test func injectionIsInert() throws {
        let store = try store()
        let before = try store.fingerprint()
        #expect(try ids(store, "tags.team = 'x''; DROP TABLE tags; --'") == [])
        #expect(try ids(store, "tags.`team; DROP TABLE runs` = 'edge'") == [])
        #expect(try store.fingerprint() == before)
    }
}

@Suite struct TagAndNoteTests {
    @Test func setReplaceRemoveAndShow() throws {
        let store = try newStore("tags")
        let a = try store.record(start(), outcome(["accuracy": 0.5]))
        let b = try store.record(start(), outcome(["accuracy": 0.6]))
        try store.tag(runs: [a, b], set: ["team": "edge", "stage": "draft"])
        try store.tag(runs: [a], set: ["stage": "final"], remove: ["team"])
        #expect(try store.tags(run: a) == ["stage": "final"])
        #expect(try store.tags(run: b) == ["team": "edge", "stage": "draft"])
        let shown = try store.show(run: b).tags
        #expect(shown.columns == ["key", "value"])
        #expect(shown.rows == [[.text("stage"), .text("draft")], [.text("team"), .text("edge")]])
        #expect(try store.runIDs(matching: "tags.stage = 'final'") == [a])
    }

    @Test func notesAppendInOrder() throws {
        let store = try newStore("notes")
        let id = try store.record(start(), outcome(["accuracy": 0.5], notes: ["recorded"]))
        #expect(try store.note(run: id, "calibrated on the \"wrong\" split") == 2)
        #expect(try store.note(run: id, "re-run") == 3)
        #expect(try store.show(run: id).notes == ["recorded", "calibrated on the \"wrong\" split", "re-run"])
    }

    @Test func badInputChangesNothing() throws {
        let store = try newStore("tags-bad")
        let id = try store.record(start(), outcome(["accuracy": 0.5]))
        try store.tag(runs: [id], set: ["team": "edge"])
        let before = try store.fingerprint() + "\(try store.tags(run: id))"
        // The known run comes first: the unknown one must still roll the whole call back.
        #expect(throws: StoreError.unknownRun(id: 99, existing: 1...1)) { try store.tag(runs: [id, 99], set: ["team": "x"]) }
        #expect(throws: StoreError.unknownRun(id: 99, existing: 1...1)) { try store.note(run: 99, "hi") }
        #expect(throws: TagError.badKey("my team")) { try store.tag(runs: [id], set: ["my team": "x"]) }
        #expect(throws: TagError.emptyValue(key: "team")) { try store.tag(runs: [id], set: ["team": ""]) }
        #expect(throws: TagError.duplicateKey("team")) { try store.tag(runs: [id], set: ["team": "x"], remove: ["team"]) }
        #expect(throws: TagError.emptyNote) { try store.note(run: id, "  ") }
        #expect(try store.fingerprint() + "\(try store.tags(run: id))" == before)
        #expect(try store.show(run: id).notes == [])
    }
}

@Suite struct DeletionTests {
    static func tensor(_ bytes: [UInt8]) -> EncodedTensor {
        EncodedTensor(encoding: "dense", shape: [bytes.count / 4], payload: bytes)
    }

    /// Rows of every table that belongs to a run, for `ids`.
    func rowsOf(_ store: Store, _ ids: [Int64]) throws -> Int {
        let list = ids.map(String.init).joined(separator: ",")
        return try ["runs WHERE id", "params WHERE run_id", "metrics WHERE run_id", "tensors WHERE run_id",
                    "tags WHERE run_id", "reported_metrics WHERE run_id"]
            .map { try store.count("SELECT count(*) FROM \($0) IN (\(list))") }.reduce(0, +)
    }

    @Test func rmRemovesExactlyTheRunAndItsPipelineStages() throws {
        let store = try newStore("rm-pipeline")
        var reported = outcome(["accuracy": 0.5], tensors: [("w", Self.tensor([1, 2, 3, 4]))])
        reported.reportedAlongside = [(key: "accuracy", value: 0.49, step: 0)]
        reported.tags = ["team": "edge"]
        let other = try store.record(start(config: ["bits": .int(8)]), outcome(["accuracy": 0.9]))
        let first = try store.record(start(config: ["bits": .int(4)]), reported)
        let second = try store.record(start(config: ["amount": .double(0.5)], parent: first), outcome(["accuracy": 0.4]))
        let third = try store.record(start(config: ["rank": .int(2)], parent: second), outcome(["accuracy": 0.3]))
        let sibling = try store.record(start(config: ["rank": .int(3)], parent: first), outcome(["accuracy": 0.35]))
        let keptBefore = try rowsOf(store, [other])

        #expect(try store.removalPlan([second]).description == "runs 3, 4 (4: pipeline stage after 3)")
        let removal = try store.removeRuns([first])
        #expect(removal.ids == [first, second, third, sibling])
        #expect(removal.runs.map(\.reason) == [.named, .pipelineStage(after: first), .pipelineStage(after: second),
                                               .pipelineStage(after: first)])
        #expect(removal.description == "runs 2, 3, 4, 5 (3: pipeline stage after 2; 4: pipeline stage after 3; 5: pipeline stage after 2)")
        #expect(try rowsOf(store, [first, second, third, sibling]) == 0)
        #expect(try rowsOf(store, [other]) == keptBefore)
        #expect(try store.count("SELECT count(*) FROM runs") == 1)
        #expect(try store.count("SELECT count(*) FROM blobs") == 1)   // blobs wait for gc
    }

    @Test func aBaselineTakesTheRunsThatCompareWithIt() throws {
        let store = try newStore("rm-baseline")
        let baseline = try store.record(start("distill-scratch"), outcome(["accuracy": 0.7]))
        var distilled = outcome(["accuracy": 0.8, "accuracy_gain_over_baseline": 0.1])
        distilled.params = ["baseline_run": .int(Int(baseline))]
        let run = try store.record(start("distill-hinton"), distilled)
        let stage = try store.record(start("quant-weight", parent: run), outcome(["accuracy": 0.78]))

        // Removing the distilled run keeps its baseline (a run in its own right, maybe shared).
        #expect(try store.removalPlan([run]).ids == [run, stage])
        let plan = try store.removalPlan([baseline])
        #expect(plan.description == "runs 1, 2, 3 (2: its baseline_run 1 is removed; 3: pipeline stage after 2)")
        try store.removeRuns([run])
        #expect(try store.count("SELECT count(*) FROM runs") == 1)
        #expect(try store.removeRuns([baseline]).ids == [baseline])
    }

    @Test func aSharedBlobLivesUntilNoRunUsesIt() throws {
        let store = try newStore("gc-shared")
        let shared = Self.tensor((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let own = Self.tensor([9, 9, 9, 9])
        let a = try store.record(start(config: ["bits": .int(4)]), outcome(["accuracy": 0.5], tensors: [("w", shared), ("b", own)]))
        let b = try store.record(start(config: ["bits": .int(8)]), outcome(["accuracy": 0.6], tensors: [("w", shared)]))
        #expect(try store.count("SELECT count(*) FROM blobs") == 2)

        try store.removeRuns([a])
        let first = try store.collectGarbage()
        #expect(first.blobs == 1 && first.blobBytes == 4 && first.models.isEmpty && first.datasets.isEmpty)
        #expect(try store.count("SELECT count(*) FROM blobs") == 1)
        #expect(try store.tensors(run: b)[0].tensor == shared)

        try store.removeRuns([b])
        #expect(try store.collectGarbage(dryRun: true).blobs == 1)
        #expect(try store.count("SELECT count(*) FROM blobs") == 1)   // a dry run deletes nothing
        let second = try store.collectGarbage()
        #expect(second.blobs == 1 && second.blobBytes == 4096)
        #expect(second.models == ["teacher"] && second.datasets.sorted() == ["digits_test", "digits_train"])
        #expect(second.description.hasPrefix("freed 1 blob, 4.1 kB (and 1 model, 2 datasets no run uses)"))
        #expect(try store.count("SELECT count(*) FROM blobs") + store.count("SELECT count(*) FROM models")
                + store.count("SELECT count(*) FROM datasets") == 0)
        #expect(try store.collectGarbage().isEmpty)
        // The model it deleted is written again by the next run (this store forgot it).
        _ = try store.record(start(), outcome(["accuracy": 0.1]))
        #expect(try store.count("SELECT count(*) FROM models") == 1)
    }

    @Test func gcKeepsAModelsFilesAndProbesWhileARunUsesIt() throws {
        let store = try newStore("gc-model-files")
        var s = start()
        s.baseModel?.files = [(name: "config.json", bytes: Array(#"{"model_type":"bert"}"#.utf8))]
        let id = try store.record(s, outcome(["accuracy": 0.5]))
        try store.recordProbe(model: s.baseModel!.hash, dataset: s.test!.hash, json: "{}", trainAccuracy: 0.9)
        #expect(try store.collectGarbage().isEmpty)
        try store.removeRuns([id])
        let report = try store.collectGarbage()
        #expect(report.blobs == 1 && report.models == ["teacher"] && report.datasets.count == 2)
        #expect(try store.count("SELECT count(*) FROM probes") + store.count("SELECT count(*) FROM model_files") == 0)
    }

    @Test func gcShrinksTheFile() throws {
        let path = tempDBPath("gc-shrink")
        let store = try Store(path: path, create: true)
        let size = 2 * RunWriter.blobChunkBytes + 1000   // chunked, as an LLM's tensors are
        let big = Self.tensor(LargeTensorTests.pattern(size))
        let id = try store.record(start(), outcome(["accuracy": 0.5], tensors: [("embed.weight", big)]))
        _ = try store.record(start(config: ["bits": .int(2)]), outcome(["accuracy": 0.4]))
        store.close()
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(before > size)

        let again = try Store(path: path, create: false)
        try again.removeRuns([id])
        let report = try again.collectGarbage()
        #expect(report.blobs == 1 && report.blobBytes == Int64(size))
        #expect(report.reclaim == .done(shrunk: true))
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(after < before - size)
        #expect(Int64(after) <= report.fileBytesAfter && report.fileBytesAfter < report.fileBytesBefore)
        #expect(try again.count("SELECT count(*) FROM blob_chunks") == 0)
        #expect(try again.count("SELECT count(*) FROM runs") == 1)
        again.close()
    }

    @Test func refusalsChangeNothing() throws {
        let store = try newStore("rm-refused")
        let done = try store.record(start(), outcome(["accuracy": 0.5], tensors: [("w", Self.tensor([1, 2, 3, 4]))]))
        let live = try store.beginRun(start(config: ["bits": .int(4)], parent: done))   // this process: alive
        let before = try store.fingerprint()

        #expect(throws: DeletionError.running(id: live, reason: "pipeline stage after \(done)", host: RunOwner.current.host,
                                              pid: Int64(RunOwner.current.pid), gc: false)) { try store.removeRuns([done]) }
        #expect(throws: DeletionError.self) { try store.removeRuns([live]) }
        #expect(throws: DeletionError.self) { try store.removalPlan([live]) }
        #expect(throws: DeletionError.self) { try store.collectGarbage() }
        #expect(throws: DeletionError.self) { try store.collectGarbage(dryRun: true) }
        #expect(throws: StoreError.unknownRun(id: 42, existing: 1...2)) { try store.removeRuns([done, 42]) }
        #expect(throws: DeletionError.noRuns) { try store.removeRuns([]) }
        #expect(try store.fingerprint() == before)
        do { try store.collectGarbage() } catch {
            #expect("\(error)".hasPrefix("run \(live) is being recorded by pid \(RunOwner.current.pid) on "))
        }

        // Once it has finished, both go.
        try store.finishRun(live, outcome(["accuracy": 0.4]))
        #expect(try store.removeRuns([done]).ids == [done, live])
    }
}
