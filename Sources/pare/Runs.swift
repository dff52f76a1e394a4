import ArgumentParser
import Foundation
import PareStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recorded runs, newest first (finished, failed, running and interrupted).",
        discussion: """
        A run whose recording process died (killed, crashed, machine lost) shows as interrupted:
        on the same host as soon as its process is gone, from another host once its heartbeat is
        over 60 s old. The next writing command marks it failed; --reap does that now.
        Example: pare runs --where "params.method = 'quant-weight'" --limit 5
        """
    )

    @OptionGroup var selection: FilterOption
    @Option(parsing: .unconditional, help: "Show at most this many runs.") var limit: Int?
    @Flag(help: "Mark interrupted runs failed (a write; also upgrades an older database) before listing.") var reap = false
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    func run() throws {
        try reportingErrors {
            if reap {
                let reaped = try database.reap()
                let list = reaped.map(String.init).joined(separator: ", ")
                FileHandle.standardError.write(Data("reaped \(reaped.count) interrupted run\(reaped.count == 1 ? "" : "s")\(reaped.isEmpty ? "" : ": " + list).\n".utf8))
            }
            try printTable(try database.openQueries().runs(filter: selection.filter, limit: limit), format.format)
        }
    }
}
