import ArgumentParser
import Foundation
import Pare
import PareNN
import PareStore
import PareTensor

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a digits classifier, compress it many ways, record every run and rank them.",
        discussion: """
        Uses the handwritten-digits data built into pare. Leaves the data and the teacher in a
        folder beside the database (pare-demo/) for your own `pare record` runs, prints the
        leaderboard and writes every run to runs.csv.
        """
    )

    @OptionGroup var database: DatabaseOption
    @Option(help: "Where to write the CSV of every run.") var csv: String = "runs.csv"
    @Option(parsing: .unconditional, help: "Seed for the split, the training and every method.") var seed: UInt64 = 0

    func run() throws {
        try reportingErrors {
            let dbURL = URL(fileURLWithPath: try database.sqlitePath())
            let folder = dbURL.deletingLastPathComponent().appending(path: "pare-demo")
            let demoFiles = ["digits.csv", "digits_train.csv", "digits_test.csv", "teacher.safetensors"].map {
                ProtectedPath(folder.appending(path: $0).path, role: "a file of the demo's folder")
            }
            // The CSV is checked before the minute of work: it never replaces the database or a
            // demo file (the demo's own files are refused over the database as they are written).
            try OutputFile.check(csv, protecting: database.protected + demoFiles)
            let trainBar = ProgressBar(label: "training teacher")
            let files = try Pare.Demo.prepareFiles(folder: folder, seed: seed, protecting: database.protected,
                                                   progress: { trainBar.update($0, $1) })
            trainBar.finish()
            let store = try database.openForWriting()
            defer { store.close() }
            let interrupts = InterruptGuard.shared
            let bar = ProgressBar(label: "recording runs")
            let ids = try Pare.Demo.recordRuns(files: files, store: store, seed: seed, interrupts: interrupts,
                                               progress: { bar.update($0, $1) })
            bar.finish()
            let first = ids.min() ?? 0
            // Companion runs (a distillation's baseline) have ids between the plans' runs.
            let count = Int((ids.max() ?? 0) - first + 1)
            let board = try store.leaderboard(metric: "accuracy", filter: "run.id >= \(first)", limit: count)
            printOut("Recorded \(count) runs (ids \(first)–\(ids.max() ?? 0)) into \(database.db).\n\n")
            printOut(try board.rendered(as: .table))
            try exportRuns(store, format: .csv, filter: nil, out: csv, protecting: database.protected + demoFiles)
            printOut("\nEvery run: \(csv). The teacher and data: \(files.folder.path)/.\n")
            printOut("Next: pare leaderboard --metric size_bytes --where \"metrics.accuracy > 0.95\" --db \(database.db)\n")
        }
    }
}
