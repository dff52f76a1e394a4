import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Runs side by side: configs diffed, metrics with deltas against the first run.",
        discussion: "Example: pare compare 1 4 7 --all"
    )
    @Argument(help: "Two or more run ids; deltas are against the first.") var runs: [Int64] = []
    @Flag(help: "Show every config key, not only those that differ.") var all = false
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            if runs.count < 2 { throw UsageError("compare needs at least two run ids, e.g. pare compare 3 7.") }
            let comparison = try database.openQueries().compare(runs: runs, allParams: all)
            switch format.format {
            case .table:
                var text = try comparison.runs.rendered(as: .table)
                text += "\nparams\(all ? "" : " that differ")\n"
                text += comparison.params.rows.isEmpty ? "  (none)\n" : try comparison.params.rendered(as: .table)
                text += "\nmetrics (Δ against run \(runs[0]))\n" + (try comparison.metrics.rendered(as: .table))
                printOut(text)
            case .csv, .json:
                try printTable(comparison.combined, format.format)
            }
        }
    }
}
