import ArgumentParser
import Foundation
import PareStore

struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Append a note to a run (pare show lists its notes).",
        discussion: "Example: pare note 4 \"calibrated on the wrong split; re-run\""
    )

    @Argument(help: "The run id.") var runID: Int64
    @Argument(help: "The note's text (quote it).") var text: String
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            guard !text.allSatisfy(\.isWhitespace) else { throw UsageError("the note is empty; write its text in quotes.") }
            let store = try database.openEditor()
            defer { store.close() }
            let count = try store.note(run: runID, text)
            printOut("run \(runID) has \(count) note\(count == 1 ? "" : "s")\n")
        }
    }
}
