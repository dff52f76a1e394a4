import ArgumentParser
import Foundation
import PareStore

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete runs with their later pipeline stages and the runs that name them as baseline.",
        discussion: """
        A run goes with everything recorded for it (params, metrics, tensors, tags, notes), its \
        later pipeline stages, and the runs whose param baseline_run names it (deleting such a \
        run keeps its baseline, which may serve others). The output names every run removed and \
        why. All in one transaction; a run being recorded is refused and nothing is removed. \
        Blobs stay until pare gc.

        Examples: pare rm 4 --dry-run
                  pare rm --where "run.status = 'failed'"
        """
    )

    @Argument(help: ArgumentHelp("Run ids.", valueName: "run")) var runIDs: [Int64] = []
    @OptionGroup var selection: FilterOption
    @Flag(help: "Name the runs that would be removed; remove nothing.") var dryRun = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            if runIDs.isEmpty && selection.filter == nil { throw UsageError("name the runs to remove (pare rm 4 5) or pass --where FILTER.") }
            let store = try database.openEditor(readOnly: dryRun)
            defer { store.close() }
            var ids = runIDs
            if let filter = selection.filter { ids += try store.runIDs(matching: filter) }
            ids = Array(Set(ids)).sorted()
            guard !ids.isEmpty else {
                printOut("no run matches the filter; nothing removed\n")
                return
            }
            if dryRun {
                printOut("would remove \(try store.removalPlan(ids)); nothing removed (--dry-run)\n")
            } else {
                let removal = try store.removeRuns(ids)
                printOut("removed \(removal); \(removal.runs.count == 1 ? "its" : "their") blobs stay until pare gc frees them\n")
            }
        }
    }
}
