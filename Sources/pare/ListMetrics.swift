import ArgumentParser
import PareStore
import PareTensor

struct ListMetrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "List the metric vocabulary: every name a run records, which way is better, its unit.",
        discussion: "leaderboard, pareto and summary rank by these directions; --ascending / --descending override them."
    )

    @OptionGroup var format: FormatOption

    func run() throws {
        try reportingErrors {
            let rows = MetricVocabulary.all.map { m -> [TableValue] in
                [.text(m.name), .text(m.higherIsBetter ? "higher" : "lower"), .text(m.unit), .text(m.summary)]
            }
            printOut(try ResultTable(columns: ["metric", "better", "unit", "meaning"], rows: rows).rendered(as: format.format))
        }
    }
}
