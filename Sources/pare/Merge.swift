import ArgumentParser
import Foundation
import PareStore
import PareStorePostgres

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Copy the runs of other Pare databases into this one; idempotent.",
        discussion: """
        Examples (the shards of a sweep, each recorded into its own file):
          pare merge shard-0.sqlite shard-1.sqlite --into team.sqlite
          pare merge shard-*.sqlite --into postgresql://pare@db.internal/pare
        Copies each other database's runs with their params, metrics, tags, tensors and lineage, \
        and its experiments (by name), base models, datasets and blobs (by hash: a blob already \
        here is not copied again). Runs get new ids here; a pipeline's parent and a baseline_run \
        param follow them. A run whose uid is already here is skipped, so merging twice changes \
        nothing; 'running' runs are skipped (merge again when they are done). Each other database \
        is merged in one transaction (all of it or nothing) and only read, never written; one \
        from an older Pare is upgraded in a temporary copy. Every other database is checked \
        before anything is merged.
        """
    )

    @Argument(help: "The other Pare databases (only read).") var others: [String] = []
    @Option(help: "The database to merge into: a SQLite file (created if absent) or a postgresql:// store (default: --db, i.e. PARE_DB or pare.sqlite).") var into: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            guard !others.isEmpty else {
                throw UsageError("merge needs the databases to merge: pare merge OTHER.sqlite… [--into DB].")
            }
            if let into, database.db != "pare.sqlite", into != database.db {
                throw UsageError("--into \(into) and --db \(database.db) name different databases; give one of them.")
            }
            let target = into ?? database.db
            // Every source is checked before the target is opened (or created): a bad one
            // leaves the target exactly as it was.
            for other in others { try Store.checkMergeSource(other, into: target) }
            if PostgresLocation.isURL(target) {
                let store = try PostgresStore(url: target)
                defer { store.close() }
                for other in others {
                    guard let source = try MergeSource.open(other, into: target) else {
                        printOut("\(MergeSummary(source: other))\n")
                        continue
                    }
                    printOut("\(try store.merge(from: source))\n")
                }
                return
            }
            let store = try Store(path: target, create: true)
            defer { store.close() }
            for other in others {
                printOut("\(try store.merge(from: other))\n")
            }
        }
    }
}
