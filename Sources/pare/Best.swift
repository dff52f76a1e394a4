import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Best: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "best",
        abstract: "The best finished run by one metric within a budget.",
        discussion: """
        The budget uses the filter grammar, where a bare name is a metric; every metric it names
        must be known. Exits 1 when no run fits.
        Example: pare best --metric accuracy --budget "size_bytes <= 50000 and latency_ms_p50 <= 0.2"
        """
    )
    @Option(help: "The metric to maximize (or minimize, by its direction).") var metric: String
    @Option(help: "Constraints, e.g. \"size_bytes <= 50000 and accuracy - base.accuracy > -0.01\".") var budget: String?
    @OptionGroup var selection: FilterOption
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let table = try database.openQueries().best(metric: metric, budget: budget, filter: selection.filter)
            guard !table.rows.isEmpty else {
                throw PareError("no finished run with \(metric) fits the budget\(budget.map { " \"\($0)\"" } ?? "").")
            }
            try printTable(table, format.format)
        }
    }
}
