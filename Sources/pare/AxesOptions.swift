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
    @OptionGroup var selection: FilterOption

    var directions: ParetoDirections {
        let known = ParetoDirections.known(x: x, y: y)
        return ParetoDirections(xLowerIsBetter: xBetter.map { $0 == .lower } ?? known.xLowerIsBetter,
                                yHigherIsBetter: yBetter.map { $0 == .higher } ?? known.yHigherIsBetter)
    }
}
