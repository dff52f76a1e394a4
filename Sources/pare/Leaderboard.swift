import ArgumentParser
import PareStore

struct Leaderboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Rank finished runs by one metric.",
        discussion: """
        The direction is known per metric (accuracy: higher is better; size_bytes, latency: lower);
        --ascending / --descending override it.
        Example: pare leaderboard --metric accuracy --where "metrics.size_bytes < 100000" --limit 5
        """
    )

    @Option(help: "The metric to rank by, e.g. accuracy, size_bytes, latency_ms_p50.") var metric: String
    @OptionGroup var selection: FilterOption
    @Option(parsing: .unconditional, help: "Show at most this many runs.") var limit: Int = 10
    @Flag(help: "Smallest first.") var ascending = false
    @Flag(help: "Largest first.") var descending = false
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        if ascending && descending { throw ValidationError("--ascending and --descending contradict each other.") }
        if limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    func run() throws {
        try reportingErrors {
            let order: Bool? = ascending ? true : (descending ? false : nil)
            try printTable(try database.openQueries().leaderboard(metric: metric, ascending: order, filter: selection.filter, limit: limit),
                           format.format)
        }
    }
}
