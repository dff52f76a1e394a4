import GRDB
import PareTensor

/// Which way is better on each axis of a trade-off.
public struct ParetoDirections: Equatable, Sendable {
    public var xLowerIsBetter: Bool
    public var yHigherIsBetter: Bool

    public init(xLowerIsBetter: Bool, yHigherIsBetter: Bool) {
        self.xLowerIsBetter = xLowerIsBetter
        self.yHigherIsBetter = yHigherIsBetter
    }

    /// The vocabulary's directions; a metric outside it is taken as a cost on x (lower is
    /// better) and a quality on y (higher is better).
    public static func known(x: String, y: String) -> ParetoDirections {
        ParetoDirections(xLowerIsBetter: !(MetricVocabulary.higherIsBetter(x) ?? false),
                         yHigherIsBetter: MetricVocabulary.higherIsBetter(y) ?? true)
    }
}

extension Store {
    /// The Pareto frontier of finished runs on two metrics (`queries/pareto.sql`): the runs no
    /// other run beats on both. Runs lacking either metric are left out. Among runs with equal x
    /// only those with the best y can be on the frontier; runs with equal x and y are all kept
    /// (neither dominates the other).
    ///
    /// Columns: run, name, method, x, y (named by the metrics), then `frontier` (0/1) when
    /// `allPoints`. Rows by method when `perMethod`, then by x best first.
    /// - Parameters:
    ///   - directions: nil for the metrics' known directions (`ParetoDirections.known`).
    ///   - perMethod: one frontier per method.
    ///   - allPoints: every candidate run, with its frontier flag (for a plot).
    public func pareto(x: String, y: String, directions: ParetoDirections? = nil, filter: String? = nil,
                       perMethod: Bool = false, allPoints: Bool = false) throws -> ResultTable {
        try requireKnownMetric(x)
        try requireKnownMetric(y)
        let compiled = try CompiledFilter.compile(filter)
        let d = directions ?? .known(x: x, y: y)
        let table = try read { db in
            try ResultTable.fetch(db, sql: SQLText.query("pareto", filter: compiled), arguments: CompiledFilter.arguments(compiled, [
                "x": x, "y": y, "x_sign": d.xLowerIsBetter ? 1 : -1, "y_sign": d.yHigherIsBetter ? 1 : -1,
                "per_method": perMethod, "all_points": allPoints,
            ], db: db))
        }
        return ResultTable.frontier(table, x: x, y: y, allPoints: allPoints)
    }
}

extension ResultTable {
    /// The rows of `queries/pareto.sql` named by the metrics, without the frontier flag unless
    /// every candidate was asked for.
    public static func frontier(_ fetched: ResultTable, x: String, y: String, allPoints: Bool) -> ResultTable {
        var table = fetched
        table.columns = ["run", "name", "method", x, x == y ? y + "_y" : y, "frontier"]
        if !allPoints {
            table.columns.removeLast()
            table.rows = table.rows.map { Array($0.dropLast()) }
        }
        return table
    }
}
