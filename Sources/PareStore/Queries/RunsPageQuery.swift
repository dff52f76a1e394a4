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

extension Store {
    /// Runs `offset ..< offset + limit` of the runs matching `filter`, in `order`
    /// (`queries/runs_page_*.sql`). Both orders walk an index (the rowid, or
    /// metrics_key_step_value), so a page costs offset + limit index steps, never a sort of
    /// every run.
    /// - Parameters:
    ///   - ascending: nil for newest first by id, or the metric's known direction (best first).
    ///   - metrics: the metric columns, in order.
    public func runsPage(order: RunsOrder = .id, ascending: Bool? = nil, filter: String? = nil,
                         metrics: [String], offset: Int = 0, limit: Int = 100) throws -> RunsPage {
        for key in metrics { try requireKnownMetric(key) }
        if case .metric(let key) = order { try requireKnownMetric(key) }
        let compiled = try CompiledFilter.compile(filter)
        let offset = max(offset, 0), limit = max(limit, 0)
        return try read { db in
            func ids(_ query: String, ascending: Bool?, _ base: [String: (any DatabaseValueConvertible)?]) throws -> [Int64] {
                try Int64.fetchAll(db, sql: SQLText.query(query, filter: compiled, ascending: ascending),
                                   arguments: CompiledFilter.arguments(compiled, base, db: db))
            }
            func count(_ query: String, _ base: [String: (any DatabaseValueConvertible)?]) throws -> Int {
                try Int.fetchOne(db, sql: SQLText.query(query, filter: compiled),
                                 arguments: CompiledFilter.arguments(compiled, base, db: db)) ?? 0
            }
            let total = try count("runs_page_count", [:])
            var page: [Int64]
            switch order {
            case .id:
                page = try ids("runs_page_by_id", ascending: ascending ?? false, ["limit": limit, "offset": offset])
            case .metric(let key):
                let up = ascending ?? !(MetricVocabulary.higherIsBetter(key) ?? true)
                // Without a filter the metric's index alone answers (no join to runs).
                let suffix = compiled == nil ? "_unfiltered" : ""
                page = try ids("runs_page_by_metric" + suffix, ascending: up, ["metric": key, "limit": limit, "offset": offset])
                if page.count < limit {
                    // The page runs past the runs that have the metric: those lacking it follow.
                    // Counting the first kind is needed only here, to know where the second begins.
                    let having = page.isEmpty ? try count("runs_page_count_with_metric" + suffix, ["metric": key]) : offset + page.count
                    page += try ids("runs_page_lacking_metric", ascending: nil,
                                    ["metric": key, "limit": limit - page.count, "offset": max(0, offset - having)])
                }
            }
            return RunsPage(total: total, table: try Self.pageTable(db, ids: page, metrics: metrics))
        }
    }

    /// The rows of the page's runs, in the page's order, with the metric columns filled in.
    private static func pageTable(_ db: Database, ids: [Int64], metrics: [String]) throws -> ResultTable {
        let idsJSON = "[" + ids.map(String.init).joined(separator: ",") + "]"
        var rows: [Int64: [TableValue]] = [:]
        let fields = try ResultTable.fetch(db, sql: SQLText.query("runs_page_rows"),
                                           arguments: ["ids": idsJSON, "interrupted": try interruptedArgument(db)])
        for row in fields.rows {
            guard case .int(let id) = row[0] else { continue }
            rows[id] = row + Array(repeating: .null, count: metrics.count)
        }
        let column = Dictionary(uniqueKeysWithValues: metrics.enumerated().map { ($1, fields.columns.count + $0) })
        let keysJSON = CanonicalJSON.array(metrics)
        for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query("runs_page_metrics")),
                                    arguments: ["ids": idsJSON, "keys": keysJSON]) {
            let id: Int64 = row["run_id"], key: String = row["key"]
            if let c = column[key] { rows[id]?[c] = TableValue(row["value"] as DatabaseValue) }
        }
        return ResultTable(columns: fields.columns + metrics, rows: ids.compactMap { rows[$0] })
    }
}
