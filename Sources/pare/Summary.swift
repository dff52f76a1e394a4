import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The best run of each method, with its gain over the base model.",
        discussion: """
        The base model's run is the latest finished `none` run on the same base model:
        accuracy_delta = accuracy - its accuracy; compression_ratio = base_size_bytes / size_bytes;
        speedup = its latency_ms_p50 / latency_ms_p50.
        Example: pare summary --metric accuracy --where "metrics.size_bytes < 100000"
        """
    )
    @Option(help: "The metric that picks each method's best run.") var metric: String = "accuracy"
    @OptionGroup var selection: FilterOption
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            try printTable(try database.openQueries().summary(metric: metric, ascending: nil, filter: selection.filter), format.format)
        }
    }
}
