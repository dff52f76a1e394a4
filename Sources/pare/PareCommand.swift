import Pare
import ArgumentParser

@main
struct PareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pare",
        abstract: "Compress neural networks and keep a queryable record of every experiment.",
        discussion: """
        Start with `pare demo`, then `pare leaderboard --metric accuracy`. Exit codes: 0 success, \
        1 the command failed (the message says why; the database is as it was), 64 bad usage, \
        130 or 143 interrupted (the run in progress is recorded as failed).
        """,
        version: "0.1.0",
        subcommands: [
            Demo.self, Record.self, LogCommand.self, SweepCommand.self, SensitivityCommand.self, Train.self,
            Runs.self, Show.self, Leaderboard.self, Pareto.self, Best.self, Summary.self, Compare.self,
            Plot.self, Export.self, ExportModel.self, ListMethods.self,
            ListMetrics.self, Tokenize.self, Generate.self, Embed.self, Layers.self,
            Import.self, Tag.self, Note.self, Remove.self, GC.self, MergeCommand.self, UICommand.self,
        ]
    )

    static func main() {
        _ = InterruptGuard.shared
        main(nil)
    }
}
