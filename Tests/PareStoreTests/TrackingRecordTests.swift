import Foundation
import Testing
import PareTensor
@testable import PareStore

/// Migration 0006: a run's global identity and source, who measured each metric, the values a
/// user reported beside Pare's, tags, and runs recorded with their own times or as failed.
@Suite struct TrackingRecordTests {
    private func field(_ store: Store, _ id: Int64, _ name: String) throws -> TableValue {
        try store.show(run: id).fields.first { $0.name == name }!.value
    }

    @Test func everyRunGetsADistinctUidAndPareAsItsSource() throws {
        let store = try newStore()
        let a = try store.record(start(), outcome(["accuracy": 0.9]))
        let b = try store.beginRun(start())
        guard case .text(let uidA) = try field(store, a, "uid"), case .text(let uidB) = try field(store, b, "uid")
        else { Issue.record("no uid"); return }
        #expect(uidA.count == 32 && uidA.allSatisfy(\.isHexDigit))
        #expect(uidA != uidB)
        #expect(try field(store, a, "source") == .text("pare"))
    }

    @Test func aRunFromElsewhereKeepsItsUidTimesSourceAndReportedMetrics() throws {
        let store = try newStore()
        var s = start("gptq-autogptq", config: ["bits": .int(4)])
        s.source = .log
        s.uid = "mlflow:0123abcd"
        s.startedAt = "2025-03-01T10:00:00.000Z"
        s.endedAt = "2025-03-01T10:05:30.250Z"
        let id = try store.record(s, RunOutcome(
            metrics: [(key: "perplexity", value: 31.5, step: 0), (key: "size_bytes", value: 90e6, step: 0)],
            reported: ["perplexity"], tags: ["team": "edge", "gpu": "a100"]))
        #expect(try field(store, id, "uid") == .text("mlflow:0123abcd"))
        #expect(try field(store, id, "source") == .text("log"))
        #expect(try field(store, id, "started_at") == .text("2025-03-01T10:00:00.000Z"))
        #expect(try field(store, id, "ended_at") == .text("2025-03-01T10:05:30.250Z"))
        #expect(try store.show(run: id).metrics.rows == [
            [.text("perplexity"), .double(31.5), .int(0), .text("user")],
            [.text("size_bytes"), .double(90e6), .int(0), .text("pare")],
        ])
        #expect(try store.count("SELECT count(*) FROM tags WHERE run_id = \(id)") == 2)
        // The same uid twice is refused: an import or a merge never duplicates a run.
        #expect(throws: (any Error).self) { try store.record(s, RunOutcome()) }
        #expect(try store.count("SELECT count(*) FROM runs") == 1)
    }

    @Test func reportedValuesBesidePareMeasurementsAreKeptExactly() throws {
        let store = try newStore()
        let id = try store.record(start(), RunOutcome(
            metrics: [(key: "perplexity", value: 30.1, step: 0)],
            reportedAlongside: [(key: "perplexity", value: 29.87, step: 0), (key: "loss", value: 2.5, step: 3)]))
        let detail = try store.show(run: id)
        #expect(detail.metrics.rows == [[.text("perplexity"), .double(30.1), .int(0), .text("pare")]])
        #expect(detail.reportedMetrics.rows == [[.text("loss"), .null, .int(1)], [.text("perplexity"), .double(29.87), .int(0)]])
    }

    @Test func aRunRecordedAsFailedKeepsItsError() throws {
        let store = try newStore()
        let id = try store.record(start(), RunOutcome(error: "MLflow status FAILED"))
        let detail = try store.show(run: id)
        #expect(detail.status == "failed")
        #expect(detail.error == "MLflow status FAILED")
    }

    @Test func emptyTagNamesAndTwiceReportedValuesAreRefused() throws {
        let store = try newStore()
        let before = try store.fingerprint()
        #expect(throws: StoreError.self) { try store.record(start(), RunOutcome(tags: ["": "x"])) }
        #expect(throws: StoreError.self) {
            try store.record(start(), RunOutcome(reportedAlongside: [(key: "a", value: 1, step: 0), (key: "a", value: 2, step: 0)]))
        }
        #expect(try store.fingerprint() == before)
    }

    @Test func filtersSelectBySourceAndUid() throws {
        let store = try newStore()
        let own = try store.record(start(), outcome(["accuracy": 0.9]))
        var logged = start("gptq")
        logged.source = .log
        logged.uid = "log:a1"
        let other = try store.record(logged, outcome(["accuracy": 0.8]))
        #expect(try ids(store, "run.source = 'log'") == [other])
        #expect(try ids(store, "run.source != 'log'") == [own])
        #expect(try ids(store, "run.uid like 'log:%'") == [other])
    }
}
