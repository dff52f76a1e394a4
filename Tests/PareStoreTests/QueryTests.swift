import Foundation
import Testing
import GRDB
@testable import PareStore

@Suite struct LeaderboardTests {
    /// Finished runs with accuracy (ties at 0.9) and size, plus a failed and a running run.
    func store() throws -> Store {
        let store = try newStore("leaderboard")
        let rows: [(String, Double, Double)] = [("none", 0.95, 200_000), ("quant-weight", 0.9, 50_000),
                                                ("prune-magnitude", 0.9, 100_000), ("quant-weight", 0.8, 25_000)]
        for (method, accuracy, size) in rows {
            _ = try store.record(start(method, name: "\(method) \(accuracy)"),
                                 outcome(["accuracy": accuracy, "size_bytes": size, "compression_ratio": 200_000 / size,
                                          "latency_ms_p50": 0.1]))
        }
        let failed = try store.beginRun(start("quant-weight", name: "failed"))
        try store.failRun(failed, error: "boom")
        _ = try store.beginRun(start("quant-weight", name: "running"))
        return store
    }

    @Test func higherIsBetterRanksDescendingWithTies() throws {
        let board = try store().leaderboard(metric: "accuracy")
        #expect(board.columns == ["rank", "run", "name", "method", "accuracy", "size_bytes", "compression_ratio", "latency_ms_p50", "perplexity", "embedding_cosine", "tokens_per_s"])
        #expect(board.column("run") == [.int(1), .int(2), .int(3), .int(4)])
        #expect(board.column("rank") == [.int(1), .int(2), .int(2), .int(4)])
        #expect(board.column("accuracy") == [.double(0.95), .double(0.9), .double(0.9), .double(0.8)])
    }

    @Test func lowerIsBetterAndOverride() throws {
        let store = try store()
        let bySize = try store.leaderboard(metric: "size_bytes")
        #expect(bySize.columns == ["rank", "run", "name", "method", "size_bytes", "accuracy", "compression_ratio", "latency_ms_p50", "perplexity", "embedding_cosine", "tokens_per_s"])
        #expect(bySize.column("run") == [.int(4), .int(2), .int(3), .int(1)])
        #expect(try store.leaderboard(metric: "size_bytes", ascending: false).column("run") == [.int(1), .int(3), .int(2), .int(4)])
        #expect(try store.leaderboard(metric: "accuracy", ascending: true, limit: 2).column("run") == [.int(4), .int(2)])
        // All tied: every rank is 1 and runs come in id order, both directions.
        #expect(try store.leaderboard(metric: "latency_ms_p50").column("rank") == Array(repeating: .int(1), count: 4))
        #expect(try store.leaderboard(metric: "latency_ms_p50", ascending: false).column("run") == [.int(1), .int(2), .int(3), .int(4)])
    }

    @Test func filterAndLimit() throws {
        let store = try store()
        let board = try store.leaderboard(metric: "accuracy", filter: "params.method = 'quant-weight'", limit: 1)
        #expect(board.column("run") == [.int(2)])
        #expect(try store.leaderboard(metric: "compression_ratio", filter: "metrics.size_bytes <= 50000").column("run") == [.int(4), .int(2)])
    }

    @Test func unknownMetricListsKnownOnes() throws {
        let store = try store()
        do {
            _ = try store.leaderboard(metric: "acc")
            Issue.record("ranked by an unknown metric")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("unknown metric 'acc'; known: accuracy, agreement, kl_to_base, "))
        }
        _ = try store.record(start(), outcome(["my_custom_score": 3]))
        #expect(try store.knownMetricKeys().last == "my_custom_score")
        #expect(try store.leaderboard(metric: "my_custom_score").column("my_custom_score") == [.double(3)])
        #expect(try store.leaderboard(metric: "flops").rows.isEmpty)  // in the vocabulary, just not recorded
    }
}

@Suite struct ExportAndOutputTests {
    @Test func exportColumnsAndValues() throws {
        let store = try newStore("export")
        _ = try store.record(start("quant-weight", name: "a", config: ["bits": .int(8), "scope": .string("channel")]),
                             outcome(["accuracy": 0.9, "size_bytes": 1000]))
        let failed = try store.beginRun(start("prune-magnitude", name: "b", config: ["amount": .double(0.5)]))
        try store.failRun(failed, error: "x")
        _ = try store.record(start("none", name: nil), RunOutcome(metrics: [(key: "loss", value: 1, step: 3)]))

        let table = try store.exportTable()
        #expect(table.columns == ["run_id", "name", "method", "status", "params.amount", "params.bits", "params.scope",
                                  "metrics.accuracy", "metrics.loss", "metrics.size_bytes"])
        #expect(table.rows == [
            [.int(1), .text("a"), .text("quant-weight"), .text("finished"), .null, .int(8), .text("channel"), .double(0.9), .null, .double(1000)],
            [.int(2), .text("b"), .text("prune-magnitude"), .text("failed"), .double(0.5), .null, .null, .null, .null, .null],
            [.int(3), .null, .text("none"), .text("finished"), .null, .null, .null, .null, .null, .null],
        ])
        #expect(try store.exportTable(filter: "run.status = 'failed'").column("run_id") == [.int(2)])
    }

    @Test func csvQuotesCommaQuoteAndNewline() throws {
        let store = try newStore("csv")
        let name = "pruned, \"really\"\nhard"
        _ = try store.record(start(name: name), outcome(["accuracy": 0.123456789012345]))
        var csv = CSVWriter()
        try store.export(into: &csv)
        let expected = "run_id,name,method,status,params.method,metrics.accuracy\n"
        // params.method is the method column, so it is not repeated.
        #expect(!csv.output.contains("params.method"))
        #expect(csv.output == expected.replacingOccurrences(of: "params.method,", with: "")
                + "1,\"pruned, \"\"really\"\"\nhard\",quant-weight,finished,0.123456789012345\n")
        #expect(CSVFormat.quoted("plain") == "plain")
        #expect(CSVFormat.quoted("a\rb") == "\"a\rb\"")
    }

    @Test func jsonParsesBack() throws {
        let store = try newStore("json")
        _ = try store.record(start(name: "quote \" backslash \\ newline \n tab \t"),
                             outcome(["accuracy": 0.5, "kl_to_base": .infinity]))
        _ = try store.record(start("none", name: nil), outcome(["accuracy": 1]))
        var json = JSONWriter()
        try store.export(into: &json)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 2)
        #expect(parsed?[0]["name"] as? String == "quote \" backslash \\ newline \n tab \t")
        #expect(parsed?[0]["metrics.accuracy"] as? Double == 0.5)
        #expect(parsed?[0]["metrics.kl_to_base"] is NSNull)
        #expect(parsed?[1]["name"] is NSNull)

        var empty = JSONWriter()
        try ResultTable(columns: ["a"]).write(to: &empty)
        #expect(try JSONSerialization.jsonObject(with: Data(empty.output.utf8)) as? [Any] != nil)
        let board = try store.leaderboard(metric: "accuracy").rendered(as: .json)
        #expect(try (JSONSerialization.jsonObject(with: Data(board.utf8)) as? [[String: Any]])?.first?["rank"] as? Int == 1)
    }

    @Test func textTableAlignsColumns() {
        let table = ResultTable(columns: ["run", "name", "accuracy"],
                                rows: [[.int(1), .text("base"), .double(0.983333333)],
                                       [.int(12), .text("two\nlines"), .null],
                                       [.int(3), .text("x"), .double(1234567.5)]])
        #expect(TextTable.render(table) == """
            run  name         accuracy
            ---  ---------  ----------
              1  base          0.98333
             12  two⏎lines           -
              3  x          1.2346e+06

            """)
    }

    @Test func runsListsNewestFirstWithHeadlineMetrics() throws {
        let store = try newStore("runs")
        _ = try store.record(start(name: "a"), outcome(["accuracy": 0.9, "size_bytes": 10, "compression_ratio": 4, "latency_ms_p50": 0.2]))
        _ = try store.record(start(name: "b"), outcome(["accuracy": 0.8]))
        let runs = try store.runs(limit: 1)
        #expect(runs.columns == ["id", "name", "method", "status", "started_at", "accuracy", "size_bytes", "compression_ratio", "latency_ms_p50", "perplexity", "embedding_cosine", "tokens_per_s"])
        #expect(runs.rows.count == 1)
        #expect(runs.column("name") == [.text("b")])
        #expect(try store.runs().column("size_bytes") == [.null, .double(10)])
    }
}

@Suite struct StreamingTests {
    @Test func exportStreamsToAFile() throws {
        let store = try newStore("stream")
        for i in 0..<50 {
            _ = try store.record(start(name: "r\(i)", config: ["bits": .int(i % 8)]), outcome(["accuracy": Double(i) / 50]))
        }
        for format in [OutputFormat.csv, .json, .table] {
            let path = tempDBPath("export") + "." + format.rawValue
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            var sink = StreamingSink(format: format, output: FileHandleOutputStream(handle, capacity: 256))
            try store.export(filter: "params.bits < 4", into: &sink)
            try handle.close()
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text == (try store.exportTable(filter: "params.bits < 4").rendered(as: format)))
            if format == .csv { #expect(text.split(separator: "\n").count == 1 + 26) }
        }
    }
}

@Suite struct QueryPlanTests {
    /// The leaderboard walks the metrics index in value order and looks each run up by key:
    /// no table scan, whatever the filter (issue 6 needs it at 100k runs).
    @Test func leaderboardNeverScans() throws {
        let store = try newStore("plan")
        _ = try store.record(start(), outcome(["accuracy": 0.9]))
        for ascending in [false, true] {
            let filter = try CompiledFilter.compile("params.bits < 8 and metrics.size_bytes < 100 or run.method = 'x'")
            let sql = SQLText.query("leaderboard", filter: filter, ascending: ascending)
            let plan = try store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql,
                                 arguments: CompiledFilter.arguments(filter, ["metric": "accuracy", "limit": 10], db: db))
                    .map { $0["detail"] as String }
            }
            #expect(plan.first?.contains("metrics_key_step_value") == true, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
        }
    }
}
