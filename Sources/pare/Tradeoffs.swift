import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

/// Which way is better on an axis (`--x-better lower`).
enum Better: String, ExpressibleByArgument, CaseIterable {
    case lower, higher
}

/// `--x`, `--y` and their direction overrides, shared by `pareto` and `plot pareto`.
struct AxesOptions: ParsableArguments {
    @Option(help: "The metric across, e.g. size_bytes, latency_ms_p50.") var x: String
    @Option(help: "The metric up, e.g. accuracy.") var y: String
    @Option(help: "Override which x is better (default: the metric's known direction; lower for unknown metrics).")
    var xBetter: Better?
    @Option(help: "Override which y is better (default: the metric's known direction; higher for unknown metrics).")
    var yBetter: Better?
    @Flag(help: "One frontier per method.") var perMethod = false
    @Option(name: .customLong("where"), help: "Only runs matching this filter.") var filter: String?

    var directions: ParetoDirections {
        let known = ParetoDirections.known(x: x, y: y)
        return ParetoDirections(xLowerIsBetter: xBetter.map { $0 == .lower } ?? known.xLowerIsBetter,
                                yHigherIsBetter: yBetter.map { $0 == .higher } ?? known.yHigherIsBetter)
    }
}

struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The finished runs no other run beats on both of two metrics (the Pareto frontier).",
        discussion: """
        Directions are known per metric (size_bytes: lower is better, accuracy: higher). Among runs
        with equal x only the best y can be on the frontier; runs with equal x and y are all kept.
        Example: pare pareto --x size_bytes --y accuracy --per-method
        """
    )
    @OptionGroup var axes: AxesOptions
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try database.openForReading()
            try printTable(try store.pareto(x: axes.x, y: axes.y, directions: axes.directions, filter: axes.filter,
                                            perMethod: axes.perMethod), format.format)
        }
    }
}

struct Best: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The best finished run by one metric within a budget.",
        discussion: """
        The budget uses the filter grammar, where a bare name is a metric; every metric it names
        must be known. Exits 1 when no run fits.
        Example: pare best --metric accuracy --budget "size_bytes <= 50000 and latency_ms_p50 <= 0.2"
        """
    )
    @Option(help: "The metric to maximize (or minimize, by its direction).") var metric: String
    @Option(help: "Constraints, e.g. \"size_bytes <= 50000 and accuracy - base.accuracy > -0.01\".") var budget: String?
    @Option(name: .customLong("where"), help: "A filter on the runs, e.g. \"params.bits <= 4\".") var filter: String?
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let table = try database.openForReading().best(metric: metric, budget: budget, filter: filter)
            guard !table.rows.isEmpty else {
                throw PareError("no finished run with \(metric) fits the budget\(budget.map { " \"\($0)\"" } ?? "").")
            }
            try printTable(table, format.format)
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The best run of each method, with its gain over the base model.",
        discussion: """
        The base model's run is the latest finished `none` run on the same base model:
        accuracy_delta = accuracy - its accuracy; compression_ratio = base_size_bytes / size_bytes;
        speedup = its latency_ms_p50 / latency_ms_p50.
        Example: pare summary --metric accuracy --where "metrics.size_bytes < 100000"
        """
    )
    @Option(help: "The metric that picks each method's best run.") var metric: String = "accuracy"
    @Option(name: .customLong("where"), help: "Only runs matching this filter.") var filter: String?
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            try printTable(try database.openForReading().summary(metric: metric, filter: filter), format.format)
        }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
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
            let comparison = try database.openForReading().compare(runs: runs, allParams: all)
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

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw query results as SVG.",
        subcommands: [PlotPareto.self]
    )
}

struct PlotPareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "An SVG scatter of finished runs on two metrics with the Pareto frontier.",
        discussion: """
        One colour and marker per method; the frontier as a step line (one per method with
        --per-method); frontier points outlined. Hover a point in a browser for its run id.
        Example: pare plot pareto --x size_bytes --y accuracy --log-x --out pareto.svg
        """
    )
    @OptionGroup var axes: AxesOptions
    @Option(help: "The SVG file to write.") var out: String
    @Flag(help: "A logarithmic x axis (every x must be positive).") var logX = false
    @Option(help: "The title (default: \"Pareto frontier: Y vs X\").") var title: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            try OutputFile.check(out, protecting: database.protected)
            let store = try database.openForReading()
            let table = try store.pareto(x: axes.x, y: axes.y, directions: axes.directions, filter: axes.filter,
                                         perMethod: axes.perMethod, allPoints: true)
            let plot = try ParetoPlot(x: axes.x, y: axes.y, table: table, directions: axes.directions, logX: logX,
                                      perMethod: axes.perMethod, title: title)
            try OutputFile.write(Array(plot.svg().utf8), to: out, protecting: database.protected)
            printOut("\(out): \(plot.points.count) runs, \(plot.points.filter(\.onFrontier).count) on the frontier\n")
        }
    }
}
