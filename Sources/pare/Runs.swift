import ArgumentParser
import Foundation
import PareStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recorded runs, newest first (finished, failed, running and interrupted).",
        discussion: """
        A run whose recording process died (killed, crashed, machine lost) shows as interrupted:
        on the same host as soon as its process is gone, from another host once its heartbeat is
        over 60 s old. The next writing command marks it failed; --reap does that now.
        Example: pare runs --where "params.method = 'quant-weight'" --limit 5
        """
    )

    @Option(name: .customLong("where"), help: "A filter, e.g. \"metrics.accuracy > 0.9 and params.bits < 8\".") var filter: String?
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
                let writer = try Store(path: database.db, create: false)
                let reaped = try writer.reapedOnOpen + writer.reapInterruptedRuns()
                writer.close()
                let list = reaped.map(String.init).joined(separator: ", ")
                FileHandle.standardError.write(Data("reaped \(reaped.count) interrupted run\(reaped.count == 1 ? "" : "s")\(reaped.isEmpty ? "" : ": " + list).\n".utf8))
            }
            try printTable(try database.openForReading().runs(filter: filter, limit: limit), format.format)
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one run: its config, metrics, stored tensors, notes and error.",
        discussion: "Example: pare show 3"
    )

    @Argument(help: "The run id.") var runID: Int64
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let detail = try database.openForReading().show(run: runID)
            switch format.format {
            case .table:
                var text = try detail.fieldTable.rendered(as: .table)
                text += "\nparams\n" + (try detail.params.rendered(as: .table))
                text += "\nmetrics\n" + (try detail.metrics.rendered(as: .table))
                text += "\ntensors\n" + (try detail.tensors.rendered(as: .table))
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
