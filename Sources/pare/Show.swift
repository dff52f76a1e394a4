import ArgumentParser
import Foundation
import PareStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: its config, metrics, stored tensors, tags, notes and error.",
        discussion: "Example: pare show 3"
    )

    @Argument(help: "The run id.") var runID: Int64
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let detail = try database.openQueries().show(run: runID)
            switch format.format {
            case .table:
                var text = try detail.fieldTable.rendered(as: .table)
                text += "\nparams\n" + (try detail.params.rendered(as: .table))
                text += "\nmetrics\n" + (try detail.metrics.rendered(as: .table))
                if !detail.reportedMetrics.rows.isEmpty {
                    text += "\nreported by the user (Pare measured the metrics above)\n"
                        + (try detail.reportedMetrics.rendered(as: .table))
                }
                text += "\ntensors\n" + (try detail.tensors.rendered(as: .table))
                if !detail.tags.rows.isEmpty { text += "\ntags\n" + (try detail.tags.rendered(as: .table)) }
                if !detail.notes.isEmpty { text += "\nnotes\n" + detail.notes.map { "  " + $0 }.joined(separator: "\n") + "\n" }
                if let error = detail.error { text += "\nerror\n  \(error)\n" }
                printOut(text)
            case .csv, .json:
                // One table per section would not be one CSV; scripts get the metrics, the
                // section they ask for most (params and tensors via `pare export`).
                printOut(try detail.metrics.rendered(as: format.format))
            }
        }
    }
}
