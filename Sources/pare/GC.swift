import ArgumentParser
import Foundation
import PareStore

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Free the blobs, models and datasets no run uses, and give the space back to the file system.",
        discussion: """
        Deletes blobs no tensor or model file references, base models no run uses (with their \
        files and cached probes) and datasets no run or probe uses, then runs VACUUM when a real \
        part of the file is free (on a PostgreSQL store, the server's autovacuum reuses the \
        space). Refused while a run is being recorded.

        Example: pare rm 4 && pare gc
        """
    )

    @Flag(help: "Say what would be freed; change nothing.") var dryRun = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try database.openEditor(readOnly: dryRun)
            defer { store.close() }
            printOut("\(try store.collectGarbage(dryRun: dryRun))\n")
        }
    }
}
