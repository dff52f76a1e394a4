import GRDB
import PareTensor

extension Store {
    /// Finished runs ranked by one metric's final value (`queries/leaderboard.sql`).
    ///
    /// Columns: rank, run, name, method, the metric, then the headline metrics (accuracy,
    /// size_bytes, compression_ratio, latency_ms_p50) other than the ranked one. Equal values
    /// share a rank (1, 2, 2, 4) and are listed by run id.
    /// - Parameters:
    ///   - ascending: nil for the metric's known direction (higher-is-better when unknown).
    ///   - limit: at most this many runs (default 10).
    public func leaderboard(metric: String, ascending: Bool? = nil, filter: String? = nil,
                            limit: Int = 10) throws -> ResultTable {
        try requireKnownMetric(metric)
        return try leaderboard(metric: metric, ascending: ascending, compiled: try CompiledFilter.compile(filter), limit: limit)
    }

    public func leaderboard(metric: String, ascending: Bool?, compiled: CompiledFilter?, limit: Int) throws -> ResultTable {
        let ascending = ascending ?? !(MetricVocabulary.higherIsBetter(metric) ?? true)
        let fetched = try read { db in
            try ResultTable.fetch(db, sql: SQLText.query("leaderboard", filter: compiled, ascending: ascending),
                                  arguments: CompiledFilter.arguments(compiled, ["metric": metric, "limit": max(limit, 0)], db: db))
        }
        return ResultTable.ranking(fetched, metric: metric)
    }
}

extension ResultTable {
    /// A leaderboard from the rows of `queries/leaderboard.sql` (run, name, method, value, then
    /// the headline metrics): a rank in front, equal values sharing it (1, 2, 2, 4), and the
    /// headline column of the ranked metric left out (it is the value).
    public static func ranking(_ fetched: ResultTable, metric: String) -> ResultTable {
        let headline = MetricVocabulary.headline
        // The query names each headline column by its metric.
        let keep = headline.enumerated().filter { $0.element != metric }.map { 4 + $0.offset }
        var table = ResultTable(columns: ["rank", "run", "name", "method", metric] + keep.map { headline[$0 - 4] })
        var rank = 0
        var previous: TableValue?
        for (i, row) in fetched.rows.enumerated() {
            if row[3] != previous { rank = i + 1; previous = row[3] }
            table.rows.append([.int(Int64(rank))] + row[0..<4] + keep.map { row[$0] })
        }
        return table
    }
}
