import GRDB
import PareTensor

extension Store {
    /// The best finished run of each method by one metric, in one query (`queries/summary.sql`),
    /// with its gain over the base model: the latest finished `none` run on the same base model.
    ///
    /// Columns: method, run, name, the metric, accuracy, accuracy_delta, size_bytes, compression_ratio, latency_ms_p50, speedup,
    /// base_run (a column repeating the ranked metric is left out). Methods best first.
    /// - Parameter ascending: nil for the metric's known direction (higher-is-better when unknown).
    public func summary(metric: String = "accuracy", ascending: Bool? = nil, filter: String? = nil) throws -> ResultTable {
        try requireKnownMetric(metric)
        let compiled = try CompiledFilter.compile(filter)
        let ascending = ascending ?? !(MetricVocabulary.higherIsBetter(metric) ?? true)
        let fetched = try read { db in
            try ResultTable.fetch(db, sql: SQLText.query("summary", filter: compiled, ascending: ascending),
                                  arguments: CompiledFilter.arguments(compiled, ["metric": metric], db: db))
        }
        return ResultTable.summary(fetched, metric: metric)
    }

    public var dialect: SQLDialect { .sqlite }
}

extension ResultTable {
    /// `pare summary`'s table from the rows of `queries/summary.sql`: the value column named by
    /// its metric, and a headline column repeating that metric left out.
    public static func summary(_ fetched: ResultTable, metric: String) -> ResultTable {
        var table = fetched
        guard table.columns.count > 3 else { return table }
        table.columns[3] = metric
        if let repeated = table.columns.indices.dropFirst(4).first(where: { table.columns[$0] == metric }) {
            table.columns.remove(at: repeated)
            table.rows = table.rows.map { var r = $0; r.remove(at: repeated); return r }
        }
        return table
    }
}

extension RunQueries {

    /// The best finished run by `metric` among those within a budget: constraints in the filter
    /// grammar where a bare name is a metric (`size_bytes <= 50000 and latency_ms_p50 <= 0.2`).
    /// Every metric the budget names must be known (vocabulary or database), so a typo is an
    /// error rather than "no run fits". Columns as `leaderboard` without the rank; no row when no
    /// run fits.
    public func best(metric: String, budget: String?, filter: String? = nil, ascending: Bool? = nil) throws -> ResultTable {
        try requireKnownMetric(metric)
        var parts: [FilterExpr] = []
        if let budget, !budget.allSatisfy(\.isWhitespace) {
            let parsed: (expr: FilterExpr, fields: [(field: FilterField, column: Int)])
            do {
                parsed = try FilterParser.parseDetailed(budget, bareNamesAreMetrics: true)
            } catch let error as FilterError {
                throw error.about("budget")
            }
            let known = try knownMetricKeys()
            for (field, column) in parsed.fields {
                switch field {
                case .metric(let key), .base(let key):
                    if !known.contains(key) {
                        throw FilterError("unknown metric '\(key)'", column: column, context: "budget",
                                          hint: "known: \(known.joined(separator: ", "))")
                    }
                default: break
                }
            }
            parts.append(parsed.expr)
        }
        if let filter, !filter.allSatisfy(\.isWhitespace) { parts.insert(try FilterParser.parse(filter), at: 0) }
        var combined: FilterExpr?
        for part in parts { combined = combined.map { .and($0, part) } ?? part }
        let compiled = combined.map { FilterCompiler.compile($0, dialect: dialect) }
        var table = try leaderboard(metric: metric, ascending: ascending, compiled: compiled, limit: 1)
        table.columns.removeFirst()
        table.rows = table.rows.map { Array($0.dropFirst()) }
        return table
    }
}
