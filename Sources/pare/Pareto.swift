import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
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
            let store = try database.openQueries()
            try printTable(try store.pareto(x: axes.x, y: axes.y, directions: axes.directions, filter: axes.selection.filter,
                                            perMethod: axes.perMethod, allPoints: false), format.format)
        }
    }
}
