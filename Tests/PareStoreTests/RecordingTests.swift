import Foundation
import PareTestSupport
import Testing
import PareTensor
@testable import PareStore

@Suite struct RecordingTests {
    @Test func beginThenFinish() throws {
        let store = try newStore()
        let id = try store.beginRun(start(name: "q8", config: ["bits": .int(8), "scope": .string("channel")]))
        #expect(try store.show(run: id).status == "running")
        try store.finishRun(id, RunOutcome(metrics: [(key: "accuracy", value: 0.97, step: 0),
                                                     (key: "loss", value: 0.5, step: 1), (key: "loss", value: 0.3, step: 2)],
                                           notes: ["calibrated on 128 rows"]))
        let detail = try store.show(run: id)
        #expect(detail.status == "finished")
        #expect(detail.notes == ["calibrated on 128 rows"])
        #expect(detail.error == nil)
        #expect(detail.metrics.rows == [[.text("accuracy"), .double(0.97), .int(0), .text("pare")], [.text("loss"), .null, .int(2), .text("pare")]])
        #expect(detail.params.rows == [[.text("bits"), .int(8)], [.text("method"), .text("quant-weight")],
                                       [.text("scope"), .text("channel")]])
        #expect(throws: StoreError.notRunning(id: id, status: "finished")) { try store.failRun(id, error: "late") }
    }

    @Test func canonicalConfigAndHash() throws {
        let store = try newStore()
        let a = try store.beginRun(start(config: ["b": .double(0.5), "a": .int(2), "c": .bool(true)]))
        let b = try store.beginRun(start(config: ["c": .bool(true), "a": .int(2), "b": .double(0.5)]))
        let field = { (id: Int64, name: String) in try store.show(run: id).fields.first { $0.name == name }!.value }
        #expect(try field(a, "config") == .text(#"{"a":2,"b":0.5,"c":true,"method":"quant-weight"}"#))
        #expect(try field(a, "config_hash") == field(b, "config_hash"))
        #expect(try field(a, "config_hash") == .text(SHA256.hex(#"{"a":2,"b":0.5,"c":true,"method":"quant-weight"}"#.utf8)))
    }

    @Test func failureLeavesNoMetricsOrTensors() throws {
        let store = try newStore()
        let id = try store.beginRun(start())
        let bad = RunOutcome(metrics: [(key: "accuracy", value: 0.9, step: 0), (key: "accuracy", value: 0.8, step: 0)],
                             tensors: [(name: "fc1.weight", tensor: EncodedTensor(encoding: "dense", shape: [1], payload: [0, 0, 0, 0]))])
        #expect(throws: StoreError.self) { try store.finishRun(id, bad) }
        try store.failRun(id, error: "evaluation diverged")
        let detail = try store.show(run: id)
        #expect(detail.status == "failed")
        #expect(detail.error == "evaluation diverged")
        #expect(try store.count("SELECT count(*) FROM metrics") == 0)
        #expect(try store.count("SELECT count(*) FROM tensors") == 0)
        #expect(try store.count("SELECT count(*) FROM blobs") == 0)
        #expect(try store.tensors(run: id).isEmpty)
    }

    @Test func aFailingRecordWritesNothing() throws {
        let store = try newStore()
        let before = try store.fingerprint()
        // The parent run does not exist: the foreign key fails after the experiment, model
        // and datasets were written, and the whole transaction rolls back.
        #expect(throws: (any Error).self) { try store.record(start(parent: 4242), outcome(["accuracy": 0.5])) }
        #expect(try store.fingerprint() == before)
    }

    @Test func crashedRunStaysRunning() throws {
        let store = try newStore()
        let done = try store.record(start(name: "ok"), outcome(["accuracy": 0.9]))
        let crashed = try store.beginRun(start(name: "crashed"))
        let listed = try store.runs()
        #expect(listed.column("id") == [.int(crashed), .int(done)])
        #expect(listed.column("status") == [.text("running"), .text("finished")])
        #expect(try store.leaderboard(metric: "accuracy").column("run") == [.int(done)])
    }

    @Test func tensorsRoundTripAndBlobsDedupe() throws {
        let store = try newStore()
        var rng = SystemRandomNumberGenerator()
        let shared = EncodedTensor(encoding: "int8-channel", dtype: .f32, shape: [16, 8], meta: ["bits": "8", "scheme": "symmetric"],
                                   payload: (0..<(16 * 8 + 64)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let other = EncodedTensor(encoding: "dense", dtype: .f32, shape: [3], payload: (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let empty = EncodedTensor(encoding: "dense", dtype: .i64, shape: [0], payload: [])
        let tensors = [(name: "fc2.weight", tensor: shared), (name: "fc1.bias", tensor: other), (name: "z", tensor: empty)]
        let a = try store.record(start(), outcome(["accuracy": 0.9], tensors: tensors))
        let b = try store.record(start(), outcome(["accuracy": 0.8], tensors: [(name: "fc2.weight", tensor: shared)]))

        let back = try store.tensors(run: a)
        #expect(back.map(\.name) == ["fc2.weight", "fc1.bias", "z"])  // recorded order, not sorted
        #expect(back.map(\.tensor) == tensors.map(\.tensor))
        #expect(try store.tensors(run: b).map(\.tensor) == [shared])
        #expect(try store.count("SELECT count(*) FROM blobs") == 3)
        #expect(try store.count("SELECT count(*) FROM tensors") == 4)
        let shown = try store.show(run: a).tensors
        #expect(shown.column("stored_bytes") == [.int(Int64(shared.payload.count)), .int(12), .int(0)])
        #expect(shown.column("shape") == [.text("[16,8]"), .text("[3]"), .text("[0]")])
    }

    @Test func concurrentRecordingFromTwoStores() throws {
        let path = tempDBPath("concurrent")
        let stores = [try Store(path: path, create: true), try Store(path: path, create: true)]
        let perStore = 40
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 2) { w in
            for i in 0..<perStore {
                do {
                    _ = try stores[w].record(start(name: "w\(w)-\(i)", config: ["i": .int(i)]),
                                             outcome(["accuracy": Double(i) / 100],
                                                     tensors: [(name: "w", tensor: EncodedTensor(encoding: "dense", shape: [1], payload: [UInt8(i), 1, 2, 3]))]))
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try stores[0].count("SELECT count(*) FROM runs WHERE status = 'finished'") == 2 * perStore)
        #expect(try stores[1].count("SELECT count(*) FROM blobs") == perStore)
    }

    @Test func concurrentCreationOfOneFile() throws {
        let path = tempDBPath("create-race")
        let errors = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do { _ = try Store(path: path, create: true) } catch { errors.withLock { $0.append("\(error)") } }
        }
        #expect(errors.withLock { $0 } == [])
        #expect(try Store(path: path, create: false).count("SELECT count(*) FROM grdb_migrations") == Migrations.names.count)
    }

    @Test func unknownRunNamesTheRange() throws {
        let store = try newStore()
        #expect(throws: StoreError.unknownRun(id: 7, existing: nil)) { try store.show(run: 7) }
        for _ in 0..<3 { _ = try store.record(start(), outcome(["accuracy": 0.5])) }
        do {
            _ = try store.show(run: 99)
            Issue.record("show found run 99")
        } catch let error as StoreError {
            #expect(error.description == "no run with id 99 (the database has runs 1…3)")
        }
        #expect(throws: StoreError.unknownRun(id: 99, existing: 1...3)) { try store.tensors(run: 99) }
        #expect(throws: StoreError.unknownRun(id: 99, existing: 1...3)) { try store.failRun(99, error: "x") }
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1000)).count == 64)
    }
}

@Suite struct BatchRecordingTests {
    @Test func batchIsAllOrNothing() throws {
        let store = try newStore("batch")
        let ids = try store.record(batch: (0..<5).map { (start: start(name: "b\($0)"), outcome: outcome(["accuracy": Double($0) / 10])) })
        #expect(ids == [1, 2, 3, 4, 5])
        #expect(try store.leaderboard(metric: "accuracy").column("run") == [.int(5), .int(4), .int(3), .int(2), .int(1)])
        let before = try store.fingerprint()
        #expect(throws: (any Error).self) {
            try store.record(batch: [(start: start(experiment: "new"), outcome: outcome(["accuracy": 1])),
                                     (start: start(parent: 999), outcome: outcome(["accuracy": 1]))])
        }
        #expect(try store.fingerprint() == before)
    }
}
