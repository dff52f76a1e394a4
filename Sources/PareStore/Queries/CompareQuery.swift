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
    /// Two or more runs side by side (`queries/compare_*.sql`): their config diffed (only the
    /// keys whose values differ, a missing key counting as different, unless `allParams`) and
    /// every final metric with its delta against the first run. Metrics in vocabulary order,
    /// then others sorted. Throws for fewer than two runs, a run given twice or an unknown id.
    public func compare(runs ids: [Int64], allParams: Bool = false) throws -> Comparison {
        guard ids.count >= 2 else {
            throw StoreError.invalidQuery("compare needs at least two runs, e.g. pare compare 3 7")
        }
        var seen = Set<Int64>()
        for id in ids where !seen.insert(id).inserted {
            throw StoreError.invalidQuery("run \(id) is given twice; compare needs distinct runs")
        }
        let json = "[" + ids.map(String.init).joined(separator: ",") + "]"
        let column = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        return try read { db in
            var runRows: [Int64: Row] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query("compare_runs")),
                                         arguments: ["ids": json, "interrupted": try Store.interruptedArgument(db)]) {
                runRows[row["id"]] = row
            }
            if let missing = ids.first(where: { runRows[$0] == nil }) { throw try Store.unknownRun(db, missing) }
            let runColumns = ids.map { "run \($0)" }

            var runs = ResultTable(columns: ["field"] + runColumns)
            for field in ["name", "method", "status"] {
                runs.rows.append([.text(field)] + ids.map { TableValue(runRows[$0]![field] as DatabaseValue) })
            }

            func pivot(_ query: String) throws -> [(key: String, values: [TableValue])] {
                var byKey: [String: [TableValue]] = [:]
                var order: [String] = []
                for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query(query)), arguments: ["ids": json]) {
                    let key: String = row["key"]
                    if byKey[key] == nil { byKey[key] = Array(repeating: .null, count: ids.count); order.append(key) }
                    byKey[key]![column[row["run_id"]]!] = TableValue(row["value"] as DatabaseValue)
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
}
