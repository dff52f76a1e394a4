import ArgumentParser
import Foundation
import PareStore

struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Set or remove labels (tags) on runs; filter on them with tags.KEY.",
        discussion: """
        Setting a key again replaces its value. An empty value (k=) is refused: remove a tag \
        with --remove k. Tags are text; filters compare them as text.

        Examples: pare tag 4 5 team=edge stage=candidate
                  pare tag --where "params.bits = 4" reviewed=yes --remove stage
                  pare runs --where "tags.team = 'edge'"
        """
    )

    @Argument(help: ArgumentHelp("Run ids, then key=value tags.", valueName: "run-or-tag")) var items: [String] = []
    @Option(name: .customLong("remove"), help: "Remove this tag (repeatable).") var remove: [String] = []
    @OptionGroup var selection: FilterOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            var runs: [Int64] = []
            var tags: [String: String] = [:]
            for item in items {
                if let id = Int64(item) {
                    guard tags.isEmpty else { throw UsageError("run id \(item) comes after a tag; write the run ids first, then key=value.") }
                    runs.append(id)
                } else if let eq = item.firstIndex(of: "=") {
                    let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
                    guard tags[key] == nil else { throw UsageError("tag '\(key)' is given twice; give each key once.") }
                    if value.isEmpty { throw UsageError("tag '\(key)' has no value; write \(key)=VALUE, or --remove \(key) to remove it.") }
                    tags[key] = value
                } else {
                    throw UsageError("'\(item)' is neither a run id nor key=value.")
                }
            }
            if tags.isEmpty && remove.isEmpty { throw UsageError("no tag to set or remove; write key=value or --remove key.") }
            if runs.isEmpty && selection.filter == nil { throw UsageError("name the runs to tag (pare tag 4 team=edge) or pass --where FILTER.") }

            let store = try database.openEditor()
            defer { store.close() }
            if let filter = selection.filter { runs += try store.runIDs(matching: filter) }
            runs = Array(Set(runs)).sorted()
            guard !runs.isEmpty else {
                printOut("no run matches the filter; nothing tagged\n")
                return
            }
            try store.tag(runs: runs, set: tags, remove: remove)
            var changes: [String] = []
            if !tags.isEmpty { changes.append("set " + tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")) }
            if !remove.isEmpty { changes.append("removed " + remove.joined(separator: ", ")) }
            printOut((runs.count == 1 ? "run " : "runs ") + runs.map(String.init).joined(separator: ", ")
                     + ": " + changes.joined(separator: "; ") + "\n")
        }
    }
}
