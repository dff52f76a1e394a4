import GRDB
import PareTensor

/// One page of the runs table (`pare ui`): runs in a chosen order, with any metrics as columns.
public struct RunsPage: Sendable {
    /// How many runs match the filter, on every page.
    public var total: Int
    /// id, name, method, status, started_at, then one column per asked metric (its final value).
    public var table: ResultTable
}

/// What the runs table is ordered by.
public enum RunsOrder: Equatable, Sendable {
    /// Run id (the order runs were recorded in).
    case id
    /// A metric's final value; runs lacking it come after those that have it, newest first.
    case metric(String)
}

extension RunBrowsing {
    /// Runs `offset ..< offset + limit` of the runs matching `filter`, in `order`
    /// (`queries/runs_page_*.sql`). Both orders walk an index (the run ids, or
    /// metrics_key_step_value), so a page costs offset + limit index steps, never a sort of
    /// every run.
    /// - Parameters:
    ///   - ascending: nil for newest first by id, or the metric's known direction (best first).
    ///   - metrics: the metric columns, in order.
    public func runsPage(order: RunsOrder = .id, ascending: Bool? = nil, filter: String? = nil,
                         metrics: [String], offset: Int = 0, limit: Int = 100) throws -> RunsPage {
        for key in metrics { try requireKnownMetric(key) }
        if case .metric(let key) = order { try requireKnownMetric(key) }
        let compiled = try CompiledFilter.compile(filter, dialect: dialect)
        let offset = max(offset, 0), limit = max(limit, 0)
        return try browsing { rows in
            let interrupted = try rows.interruptedArgument()
            func arguments(_ base: [String: DatabaseValue]) -> [String: DatabaseValue] {
                var all = base
                for (k, v) in compiled?.arguments ?? [:] { all[k] = v }
                all["interrupted"] = interrupted
                return all
            }
            func ids(_ query: String, ascending: Bool?, _ base: [String: DatabaseValue]) throws -> [Int64] {
                try rows.rows(query, filter: compiled, ascending: ascending, arguments(base), columns: ["id"]).table().rows
                    .compactMap { if case .int(let id)? = $0.first { id } else { nil } }
            }
            func count(_ query: String, _ base: [String: DatabaseValue]) throws -> Int {
                if case .int(let n)? = try rows.rows(query, filter: compiled, arguments(base), columns: ["count"]).next()?.first {
                    return Int(n)
                }
                return 0
            }
            let total = try count("runs_page_count", [:])
            let window = ["limit": Int64(limit).databaseValue, "offset": Int64(offset).databaseValue]
            var page: [Int64]
            switch order {
            case .id:
                page = try ids("runs_page_by_id", ascending: ascending ?? false, window)
            case .metric(let key):
                let up = ascending ?? !(MetricVocabulary.higherIsBetter(key) ?? true)
                // Without a filter the metric's index alone answers (no join to runs).
                let suffix = compiled == nil ? "_unfiltered" : ""
                page = try ids("runs_page_by_metric" + suffix, ascending: up, window.merging(["metric": key.databaseValue]) { $1 })
                if page.count < limit {
                    // The page runs past the runs that have the metric: those lacking it follow.
                    // Counting the first kind is needed only here, to know where the second begins.
                    let having = page.isEmpty ? try count("runs_page_count_with_metric" + suffix, ["metric": key.databaseValue])
                        : offset + page.count
                    page += try ids("runs_page_lacking_metric", ascending: nil,
                                    ["metric": key.databaseValue, "limit": Int64(limit - page.count).databaseValue,
                                     "offset": Int64(max(0, offset - having)).databaseValue])
                }
            }
            return RunsPage(total: total, table: try RunsPage.table(rows, ids: page, metrics: metrics, interrupted: interrupted))
        }
    }
}

extension RunsPage {
    /// The rows of the page's runs, in the page's order, with the metric columns filled in.
    static func table(_ source: any RowSource, ids: [Int64], metrics: [String], interrupted: DatabaseValue) throws -> ResultTable {
        let idsJSON = CanonicalJSON.array(ids.map { Int($0) }).databaseValue
        var rows: [Int64: [TableValue]] = [:]
        let fields = try source.table("runs_page_rows", ["ids": idsJSON, "interrupted": interrupted],
                                      columns: ["id", "name", "method", "status", "started_at"])
        for row in fields.rows {
            guard case .int(let id) = row[0] else { continue }
            rows[id] = row + Array(repeating: .null, count: metrics.count)
        }
        let column = Dictionary(uniqueKeysWithValues: metrics.enumerated().map { ($1, fields.columns.count + $0) })
        let values = try source.rows("runs_page_metrics", filter: nil,
                                     ["ids": idsJSON, "keys": CanonicalJSON.array(metrics).databaseValue],
                                     columns: ["run_id", "key", "value"])
        while let row = try values.next() {
            if case .int(let id) = row[0], case .text(let key) = row[1], let c = column[key] { rows[id]?[c] = row[2] }
        }
        return ResultTable(columns: fields.columns + metrics, rows: ids.compactMap { rows[$0] })
    }
}
