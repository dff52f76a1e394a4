import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

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
            let store = try database.openQueries()
            let table = try store.pareto(x: axes.x, y: axes.y, directions: axes.directions, filter: axes.selection.filter,
                                         perMethod: axes.perMethod, allPoints: true)
            let plot = try ParetoPlot(x: axes.x, y: axes.y, table: table, directions: axes.directions, logX: logX,
                                      perMethod: axes.perMethod, title: title)
            try OutputFile.write(Array(plot.svg().utf8), to: out, protecting: database.protected)
            printOut("\(out): \(plot.points.count) runs, \(plot.points.filter(\.onFrontier).count) on the frontier\n")
        }
    }
}
