import GRDB
import PareTensor

/// Runs side by side (`pare compare`).
public struct Comparison: Sendable {
    /// The runs in the order asked.
    public var runIDs: [Int64]
    /// field (name, method, status), then one column per run.
    public var runs: ResultTable
    /// key, then one column per run: the params that differ between the runs (all with `allParams`).
    public var params: ResultTable
    /// metric, the first run's value, then for each other run its value, its delta against the
    /// first run and that delta in % of the first run's value (null when that value is 0).
    public var metrics: ResultTable

    /// The three sections as one table (section, key, then the metric columns), for CSV and JSON.
    public var combined: ResultTable {
        var table = ResultTable(columns: ["section", "key"] + metrics.columns.dropFirst())
        let width = table.columns.count
        func add(_ section: String, _ t: ResultTable) {
            for row in t.rows {
                // runs and params have one column per run: spread them under the run columns.
                var cells: [TableValue] = [.text(section), row[0]]
                if section == "metric" {
                    cells += row.dropFirst()
                } else {
                    for (i, v) in row.dropFirst().enumerated() {
                        cells.append(v)
                        if i > 0 { cells += [.null, .null] }
                    }
                }
                table.rows.append(cells + Array(repeating: .null, count: max(0, width - cells.count)))
            }
        }
        add("run", runs)
        add("param", params)
        add("metric", metrics)
        return table
    }
}

extension Store {
    /// Two or more runs side by side (`Comparison.read`).
    public func compare(runs ids: [Int64], allParams: Bool = false) throws -> Comparison {
        try read { db in try Comparison.read(SQLiteRows(db: db), runs: ids, allParams: allParams) }
    }
}

extension Comparison {
    /// Throws for fewer than two runs or a run given twice (before any store is opened).
    public static func check(_ ids: [Int64]) throws {
        guard ids.count >= 2 else {
            throw StoreError.invalidQuery("compare needs at least two runs, e.g. pare compare 3 7")
        }
        var seen = Set<Int64>()
        for id in ids where !seen.insert(id).inserted {
            throw StoreError.invalidQuery("run \(id) is given twice; compare needs distinct runs")
        }
    }

    /// Two or more runs side by side (`queries/compare_*.sql`): their config diffed (only the
    /// keys whose values differ, a missing key counting as different, unless `allParams`) and
    /// every final metric with its delta against the first run. Metrics in vocabulary order,
    /// then others sorted. Throws for fewer than two runs, a run given twice or an unknown id.
    public static func read(_ source: some RowSource, runs ids: [Int64], allParams: Bool) throws -> Comparison {
        try check(ids)
        let json = CanonicalJSON.array(ids.map { Int($0) }).databaseValue
        let column = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        // compare_runs: id, name, method, status.
        var runRows: [Int64: [TableValue]] = [:]
        for row in try source.table("compare_runs", ["ids": json, "interrupted": try source.interruptedArgument()]).rows {
            if case .int(let id) = row[0] { runRows[id] = row }
        }
        if let missing = ids.first(where: { runRows[$0] == nil }) { throw try source.unknownRun(missing) }
        let runColumns = ids.map { "run \($0)" }

        var runs = ResultTable(columns: ["field"] + runColumns)
        for (i, field) in ["name", "method", "status"].enumerated() {
            runs.rows.append([.text(field)] + ids.map { runRows[$0]![i + 1] })
        }

        // compare_params and compare_metrics: run_id, key, value, in key order.
        func pivot(_ query: String) throws -> [(key: String, values: [TableValue])] {
            var byKey: [String: [TableValue]] = [:]
            var order: [String] = []
            for row in try source.table(query, ["ids": json]).rows {
                guard case .int(let id) = row[0], case .text(let key) = row[1], let slot = column[id] else { continue }
                if byKey[key] == nil { byKey[key] = Array(repeating: .null, count: ids.count); order.append(key) }
                byKey[key]![slot] = row[2]
            }
            return order.map { (key: $0, values: byKey[$0]!) }
        }

        var params = ResultTable(columns: ["key"] + runColumns)
        for (key, values) in try pivot("compare_params") where key != "method" {
            if allParams || values.contains(where: { $0 != values[0] }) {
                params.rows.append([.text(key)] + values)
            }
        }

        let vocabulary = Dictionary(uniqueKeysWithValues: MetricVocabulary.all.enumerated().map { ($1.name, $0) })
        let metricRows = try pivot("compare_metrics").sorted { a, b in
            switch (vocabulary[a.key], vocabulary[b.key]) {
            case let (i?, j?): i < j
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a.key < b.key
            }
        }
        var metrics = ResultTable(columns: ["metric", runColumns[0]]
                                  + ids.dropFirst().flatMap { ["run \($0)", "Δ \($0)", "Δ% \($0)"] })
        for (key, values) in metricRows {
            var row: [TableValue] = [.text(key), values[0]]
            for v in values.dropFirst() {
                row.append(v)
                if let a = values[0].doubleValue, let b = v.doubleValue {
                    row.append(.double(b - a))
                    row.append(a != 0 ? .double((b - a) / abs(a) * 100) : .null)
                } else {
                    row += [.null, .null]
                }
            }
            metrics.rows.append(row)
        }
        return Comparison(runIDs: ids, runs: runs, params: params, metrics: metrics)
    }
}
