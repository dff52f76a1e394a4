import Foundation
import GRDB
import Testing
import PareTensor
@testable import PareStore
import PareTestSupport

func ints(_ column: [TableValue]?) -> [Int64] {
    (column ?? []).compactMap { if case .int(let i) = $0 { i } else { nil } }
}

@Suite struct ParetoTests {
    struct Point { var run: Int64; var method: String; var x: Double; var y: Double }

    /// The frontier by definition, O(n²): p is kept unless some q in its partition is at least as
    /// good on both and better on one. Equal points dominate neither one another.
    func bruteForce(_ points: [Point], _ d: ParetoDirections, perMethod: Bool) -> Set<Int64> {
        let sx = { (p: Point) in d.xLowerIsBetter ? p.x : -p.x }
        let sy = { (p: Point) in d.yHigherIsBetter ? p.y : -p.y }
        return Set(points.filter { p in
            !points.contains { q in
                (!perMethod || q.method == p.method) && sx(q) <= sx(p) && sy(q) >= sy(p) && (sx(q) < sx(p) || sy(q) > sy(p))
            }
        }.map(\.run))
    }

    @Test func matchesBruteForceOnRandomData() throws {
        for trial in 0..<12 {
            var rng = XorShift64(UInt64(trial + 1))
            let store = try newStore("pareto")
            var runs: [(start: RunStart, outcome: RunOutcome)] = []
            var points: [Point] = []
            let n = 10 + rng.int(50)
            for i in 0..<n {
                let method = ["a", "b", "c"][rng.int(3)]
                // Few distinct values, so ties in x, in y and whole duplicate points are common;
                // negative values check the sign flips.
                let x = Double(rng.int(8) - 2), y = Double(rng.int(6)) / 4 - 0.5
                var metrics = ["cost": x, "quality": y]
                if i % 11 == 5 { metrics["quality"] = nil }  // a run lacking y is no candidate
                runs.append((start(method), outcome(metrics)))
                if metrics["quality"] != nil { points.append(Point(run: Int64(i + 1), method: method, x: x, y: y)) }
            }
            _ = try store.record(batch: runs)
            let failed = try store.beginRun(start("a"))
            try store.failRun(failed, error: "never a candidate")

            for xLower in [true, false] {
                for yHigher in [true, false] {
                    let d = ParetoDirections(xLowerIsBetter: xLower, yHigherIsBetter: yHigher)
                    for perMethod in [false, true] {
                        let table = try store.pareto(x: "cost", y: "quality", directions: d, perMethod: perMethod)
                        let got = ints(table.column("run"))
                        #expect(Set(got) == bruteForce(points, d, perMethod: perMethod),
                                "trial \(trial) xLower \(xLower) yHigher \(yHigher) perMethod \(perMethod)")
                        #expect(got.count == Set(got).count)
                        // Rows come best x first (within each method).
                        let xs = table.rows.map { (method: $0[2], sx: (xLower ? 1 : -1) * $0[3].doubleValue!) }
                        for (a, b) in zip(xs, xs.dropFirst()) where !perMethod || a.method == b.method {
                            #expect(a.sx <= b.sx)
                        }
                        let all = try store.pareto(x: "cost", y: "quality", directions: d, perMethod: perMethod, allPoints: true)
                        #expect(all.rows.count == points.count)
                        #expect(Set(ints(all.rows.filter { $0[5] == .int(1) }.map { $0[0] })) == Set(got))
                    }
                }
            }
        }
    }

    @Test func tiesAndDefaults() throws {
        let store = try newStore("pareto-ties")
        // (size, accuracy): 1 and 2 equal, 3 same size but worse, 4 dominated by 1, 5 smaller but worse.
        let data: [(Double, Double)] = [(100, 0.9), (100, 0.9), (100, 0.8), (150, 0.9), (50, 0.7), (200, 0.95)]
        for (size, accuracy) in data {
            _ = try store.record(start("m"), outcome(["size_bytes": size, "accuracy": accuracy]))
        }
        let table = try store.pareto(x: "size_bytes", y: "accuracy")
        #expect(table.columns == ["run", "name", "method", "size_bytes", "accuracy"])
        #expect(ints(table.column("run")) == [5, 1, 2, 6])
        // size_bytes is lower-is-better and accuracy higher-is-better by the vocabulary.
        #expect(ParetoDirections.known(x: "size_bytes", y: "accuracy") == ParetoDirections(xLowerIsBetter: true, yHigherIsBetter: true))
        #expect(ParetoDirections.known(x: "compression_ratio", y: "latency_ms_p50") == ParetoDirections(xLowerIsBetter: false, yHigherIsBetter: false))
        #expect(try store.pareto(x: "size_bytes", y: "accuracy", filter: "run.id != 6").rows.count == 3)
        #expect(throws: StoreError.self) { try store.pareto(x: "size", y: "accuracy") }
        #expect(throws: StoreError.self) { try store.pareto(x: "size_bytes", y: "acc") }
    }
}

@Suite struct BestAndSummaryTests {
    static let modelA = ModelInfo(hash: String(repeating: "a", count: 64), name: "A", archJSON: "{}", params: 1, sizeBytes: 200_000)
    static let modelB = ModelInfo(hash: String(repeating: "e", count: 64), name: "B", archJSON: "{}", params: 1, sizeBytes: 400_000)

    func run(_ store: Store, _ method: String, _ model: ModelInfo, _ metrics: [String: Double]) throws -> Int64 {
        var s = start(method, name: "\(method) \(metrics["accuracy"] ?? 0)")
        s.baseModel = model
        return try store.record(s, outcome(metrics))
    }

    /// 1, 2: `none` on A (2 is the latest, so the base); 3, 4: quant on A; 5: prune on A with its own
    /// base_size_bytes; 6: prune on B, which has no `none` run; 7: failed; 8: `none` on B, failed.
    func store() throws -> Store {
        let store = try newStore("summary")
        _ = try run(store, "none", Self.modelA, ["accuracy": 0.95, "size_bytes": 200_000, "latency_ms_p50": 0.4])
        _ = try run(store, "none", Self.modelA, ["accuracy": 0.96, "size_bytes": 200_000, "latency_ms_p50": 0.5])
        _ = try run(store, "quant-weight", Self.modelA, ["accuracy": 0.955, "size_bytes": 50_000, "latency_ms_p50": 0.2])
        _ = try run(store, "quant-weight", Self.modelA, ["accuracy": 0.94, "size_bytes": 25_000, "latency_ms_p50": 0.1])
        _ = try run(store, "prune-magnitude", Self.modelA, ["accuracy": 0.93, "size_bytes": 100_000, "latency_ms_p50": 0.25,
                                                            "base_size_bytes": 300_000])
        _ = try run(store, "prune-magnitude", Self.modelB, ["accuracy": 0.99, "size_bytes": 80_000, "latency_ms_p50": 0.3])
        let failed = try store.beginRun(start("quant-weight"))
        try store.failRun(failed, error: "x")
        var noneB = start("none")
        noneB.baseModel = Self.modelB
        try store.failRun(try store.beginRun(noneB), error: "a failed run is no base")
        return store
    }

    @Test func summaryBestPerMethodWithGains() throws {
        let table = try store().summary()
        #expect(table.columns == ["method", "run", "name", "accuracy", "accuracy_delta", "size_bytes",
                                  "compression_ratio", "latency_ms_p50", "speedup", "base_run"])
        #expect(table.column("method") == [.text("prune-magnitude"), .text("none"), .text("quant-weight")])
        #expect(ints(table.column("run")) == [6, 2, 3])
        #expect(table.column("base_run") == [.null, .int(2), .int(2)])
        let quant = table.rows[2]
        #expect(abs(quant[4].doubleValue! - (0.955 - 0.96)) < 1e-12)
        #expect(quant[6] == .double(4))       // 200 000 / 50 000: the base run's size
        #expect(quant[8] == .double(2.5))     // 0.5 / 0.2
        #expect(table.rows[0][4] == .null)    // B has no base run
        #expect(table.rows[1][4] == .double(0))

        // By size: each method's smallest; prune on A uses its own base_size_bytes.
        let bySize = try store().summary(metric: "size_bytes", filter: "run.id <= 5")
        #expect(bySize.columns[3] == "size_bytes" && !bySize.columns.dropFirst(4).contains("size_bytes"))
        #expect(ints(bySize.column("run")) == [4, 5, 1])
        #expect(bySize.rows[1][6] == .double(3))   // 300 000 / 100 000
        #expect(throws: StoreError.self) { try store().summary(metric: "acc") }
    }

    /// A pipeline competes under its own name, by its last stage only: its first stage (a
    /// parent) has the best accuracy but is not the pipeline's result.
    @Test func summaryGroupsPipelinesByTheirLastStage() throws {
        let store = try newStore("summary-pipeline")
        _ = try store.record(start("none"), outcome(["accuracy": 0.96, "size_bytes": 200_000]))
        let pipeline: [String: ConfigValue] = ["pipeline": .string("prune-magnitude+quant-weight")]
        let first = try store.record(start("prune-magnitude", config: pipeline.merging(["stage": .int(1)]) { a, _ in a }),
                                     outcome(["accuracy": 0.95, "size_bytes": 100_000]))
        let last = try store.record(start("quant-weight", config: pipeline.merging(["stage": .int(2)]) { a, _ in a }, parent: first),
                                    outcome(["accuracy": 0.93, "size_bytes": 20_000]))
        let alone = try store.record(start("quant-weight"), outcome(["accuracy": 0.94, "size_bytes": 50_000]))
        let table = try store.summary()
        #expect(table.column("method") == [.text("none"), .text("quant-weight"), .text("prune-magnitude+quant-weight")])
        #expect(ints(table.column("run")) == [1, alone, last])
    }

    @Test func bestUnderABudget() throws {
        let store = try store()
        func best(_ budget: String?, _ filter: String? = nil) throws -> [Int64] {
            ints(try store.best(metric: "accuracy", budget: budget, filter: filter).column("run"))
        }
        #expect(try best(nil) == [6])
        #expect(try best("size_bytes <= 50000") == [3])
        #expect(try best("size_bytes <= 50000 and latency_ms_p50 <= 0.15") == [4])
        #expect(try best("size_bytes between 60000 and 150000 and metrics.latency_ms_p50 < 1") == [6])
        #expect(try best("accuracy - base.accuracy > -0.01 and size_bytes < 100000") == [3])
        #expect(try best("size_bytes < 1") == [])
        #expect(try best("size_bytes <= 100000", "run.method like 'prune-%'") == [6])
        #expect(ints(try store.best(metric: "size_bytes", budget: "accuracy >= 0.95").column("run")) == [3])

        do {
            _ = try store.best(metric: "accuracy", budget: "size_bytes < 1 and latncy < 2")
            Issue.record("an unknown metric in a budget was accepted")
        } catch let error as FilterError {
            #expect(error.column == 20)
            #expect(error.description.hasPrefix("budget: unknown metric 'latncy' at column 20; known: accuracy, agreement"))
        }
        #expect(throws: FilterError.self) { try store.best(metric: "accuracy", budget: "size_bytes <") }
        #expect(throws: StoreError.self) { try store.best(metric: "acc", budget: nil) }
    }
}

@Suite struct CompareTests {
    @Test func diffsConfigAndDeltas() throws {
        let store = try newStore("compare")
        _ = try store.record(start("quant-weight", name: "a", config: ["bits": .int(8), "scope": .string("channel"), "seed": .int(1)]),
                             outcome(["accuracy": 0.9, "size_bytes": 1000, "my_score": 0]))
        _ = try store.record(start("quant-weight", name: "b", config: ["bits": .int(4), "scope": .string("channel"), "seed": .int(1)]),
                             outcome(["accuracy": 0.81, "size_bytes": 500, "my_score": 2]))
        _ = try store.record(start("prune-magnitude", name: "c", config: ["amount": .double(0.5), "seed": .int(1)]),
                             outcome(["accuracy": 0.99]))
        let c = try store.compare(runs: [2, 1, 3])
        #expect(c.runs.columns == ["field", "run 2", "run 1", "run 3"])
        #expect(c.runs.rows[1] == [.text("method"), .text("quant-weight"), .text("quant-weight"), .text("prune-magnitude")])
        #expect(c.params.rows == [
            [.text("amount"), .null, .null, .double(0.5)],
            [.text("bits"), .int(4), .int(8), .null],
            [.text("scope"), .text("channel"), .text("channel"), .null],
        ])
        #expect(try store.compare(runs: [1, 2]).params.rows == [[.text("bits"), .int(8), .int(4)]])
        #expect(try store.compare(runs: [1, 2], allParams: true).params.column("key") == [.text("bits"), .text("scope"), .text("seed")])

        #expect(c.metrics.columns == ["metric", "run 2", "run 1", "Δ 1", "Δ% 1", "run 3", "Δ 3", "Δ% 3"])
        #expect(c.metrics.column("metric") == [.text("accuracy"), .text("size_bytes"), .text("my_score")])
        let accuracy = c.metrics.rows[0]
        #expect(abs(accuracy[3].doubleValue! - 0.09) < 1e-12)
        #expect(abs(accuracy[4].doubleValue! - 0.09 / 0.81 * 100) < 1e-9)
        #expect(c.metrics.rows[1] == [.text("size_bytes"), .double(500), .double(1000), .double(500), .double(100), .null, .null, .null])
        // A zero base value has no relative delta.
        #expect(try store.compare(runs: [1, 2]).metrics.rows[2] == [.text("my_score"), .double(0), .double(2), .double(2), .null])

        let combined = c.combined
        #expect(combined.columns.prefix(3) == ["section", "key", "run 2"])
        #expect(combined.rows.allSatisfy { $0.count == combined.columns.count })
        #expect(combined.rows.first == [.text("run"), .text("name"), .text("b"), .text("a"), .null, .null, .text("c"), .null, .null])
    }

    @Test func errors() throws {
        let store = try newStore("compare-errors")
        _ = try store.record(start(), outcome(["accuracy": 1]))
        _ = try store.record(start(), outcome(["accuracy": 1]))
        #expect(throws: StoreError.invalidQuery("compare needs at least two runs, e.g. pare compare 3 7")) { try store.compare(runs: [1]) }
        #expect(throws: StoreError.unknownRun(id: 9, existing: 1...2)) { try store.compare(runs: [1, 9]) }
        #expect(throws: StoreError.invalidQuery("run 1 is given twice; compare needs distinct runs")) { try store.compare(runs: [1, 2, 1]) }
    }
}

@Suite struct ExportColumnsTests {
    @Test func selectedColumnsInOrder() throws {
        let store = try newStore("columns")
        _ = try store.record(start("quant-weight", name: "a", config: ["bits": .int(8)]), outcome(["accuracy": 0.9, "size_bytes": 10]))
        _ = try store.record(start("none", name: "b"), outcome(["accuracy": 0.95]))
        let table = try store.exportTable(columns: ["metrics.accuracy", "run_id", "params.bits", "method", "metrics.flops"])
        #expect(table.columns == ["metrics.accuracy", "run_id", "params.bits", "method", "metrics.flops"])
        #expect(table.rows == [[.double(0.9), .int(1), .int(8), .text("quant-weight"), .null],
                               [.double(0.95), .int(2), .null, .text("none"), .null]])
        #expect(try store.exportTable(filter: "params.bits = 8", columns: ["name"]).rows == [[.text("a")]])
        do {
            _ = try store.exportTable(columns: ["run_id", "metrics.acuracy"])
            Issue.record("an unknown column was accepted")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("unknown column 'metrics.acuracy'; known: run_id, name, method, status, params.bits, metrics.accuracy"))
        }
        #expect(throws: StoreError.self) { try store.exportTable(columns: ["run_id", "run_id"]) }
        #expect(throws: StoreError.self) { try store.exportTable(columns: []) }
    }
}

@Suite struct TradeoffPlanTests {
    func plan(_ store: Store, _ sql: String, _ filter: CompiledFilter?,
              _ base: [String: (any DatabaseValueConvertible)?]) throws -> [String] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: CompiledFilter.arguments(filter, base, db: db))
                .map { $0["detail"] as String }
        }
    }

    /// No plan line may scan a stored table (scans of the queries' own CTEs are their sorts).
    func expectNoTableScan(_ plan: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let tables = ["runs", "metrics", "params", "mx", "my", "m", "r", "b", "fm", "fp", "acc", "size", "lat", "base_acc",
                      "base_size", "base_lat", "own_base_size"]
        for line in plan where line.hasPrefix("SCAN ") {
            let name = line.dropFirst(5).split(separator: " ").first.map(String.init) ?? ""
            #expect(!tables.contains(name), "\(line) in \(plan)", sourceLocation: sourceLocation)
        }
    }

    @Test func paretoSummaryAndBaseUseIndexes() throws {
        let store = try newStore("plans")
        _ = try store.record(start("none"), outcome(["accuracy": 0.9, "size_bytes": 10]))
        let filter = try CompiledFilter.compile("params.bits < 8 and metrics.accuracy - base.accuracy > -0.01")

        let pareto = try plan(store, SQLText.query("pareto", filter: filter), filter, [
            "x": "size_bytes", "y": "accuracy", "x_sign": 1, "y_sign": 1, "per_method": 1, "all_points": 0])
        #expect(pareto.contains { $0.contains("mx USING COVERING INDEX metrics_key_step_value") }, "\(pareto)")
        expectNoTableScan(pareto)

        let summary = try plan(store, SQLText.query("summary", filter: filter, ascending: false),
                               filter, ["metric": "accuracy"])
        #expect(summary.contains { $0.contains("m USING COVERING INDEX metrics_key_step_value") }, "\(summary)")
        #expect(summary.contains { $0.contains("b USING COVERING INDEX runs_base_model") }, "\(summary)")
        expectNoTableScan(summary)

        let runs = try plan(store, SQLText.query("runs", filter: filter), filter, ["limit": -1])
        #expect(runs.contains { $0.contains("b USING COVERING INDEX runs_base_model") }, "\(runs)")
    }
}
