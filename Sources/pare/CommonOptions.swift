import ArgumentParser
import Foundation
import Pare
import PareStore
import PareStorePostgres
import PareTensor

struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"),
            help: "The database of runs: a SQLite file (default pare.sqlite), or postgresql://user@host/db for a team's server (every command but demo, which writes its own file). Also PARE_DB.")
    var given: String?

    /// --db, else PARE_DB, else pare.sqlite.
    var db: String { given ?? ProcessInfo.processInfo.environment["PARE_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "pare.sqlite" }

    /// The SQLite file; a PostgreSQL URL is refused by the one command that needs a file (demo).
    func sqlitePath() throws -> String {
        if PostgresLocation.isURL(db) {
            throw UsageError("--db \((try? PostgresLocation(db))?.description ?? "postgresql://…") is a PostgreSQL store; this command writes a SQLite file of its own (--db FILE), which pare merge FILE --into the server then copies.")
        }
        return db
    }

    func openForWriting() throws -> Store { try Store(path: try sqlitePath(), create: true) }
    /// The store the queries both backends answer read from: the SQLite file read-only, or
    /// the PostgreSQL server.
    func openQueries() throws -> any RunQueries {
        PostgresLocation.isURL(db) ? try PostgresStore(url: db) : try Store(readingAt: db)
    }
    /// The store `pare record` and `pare sweep` record into. A writer reaps first: runs whose
    /// recording process died are marked failed (the SQLite store does so as it opens).
    func openTracker() throws -> any RunTracker {
        guard PostgresLocation.isURL(db) else { return try Store(path: db, create: true) }
        let store = try PostgresStore(url: db)
        do { try store.reapInterruptedRuns() } catch { store.close(); throw error }
        return store
    }
    /// The store `pare tag`, `note`, `rm` and `gc` change; a missing SQLite file is an error.
    /// `readOnly` (a dry run) opens the SQLite file read-only; a PostgreSQL dry run reads in a
    /// read-only transaction.
    func openEditor(readOnly: Bool = false) throws -> any RunEditor {
        if PostgresLocation.isURL(db) { return try PostgresStore(url: db) }
        return readOnly ? try Store(readingAt: db) : try Store(path: db, create: false)
    }
    /// Marks the runs whose recording process died failed (`pare runs --reap`); their ids.
    func reap() throws -> [Int64] {
        if PostgresLocation.isURL(db) {
            let store = try PostgresStore(url: db)
            defer { store.close() }
            return try store.reapInterruptedRuns()
        }
        let store = try Store(path: db, create: false)
        defer { store.close() }
        return try store.reapedOnOpen + store.reapInterruptedRuns()   // a writer reaps as it opens
    }
    /// The store `pare log` records into.
    /// The store a recorded run's model is read back from (export-model, the --run of
    /// generate, embed and tokenize): the SQLite file read-only, or the PostgreSQL server.
    func openModels() throws -> any RunModelReading {
        PostgresLocation.isURL(db) ? try PostgresStore(url: db) : try Store(readingAt: db)
    }

    func openRecorder() throws -> any RunRecorder {
        PostgresLocation.isURL(db) ? try PostgresStore(url: db) : try Store(path: db, create: true)
    }
    /// What an output file of the same command must never replace.
    var protected: [ProtectedPath] { ProtectedPath.database(db) }
}

/// A mistake in how the command was called (a missing or contradictory option): exit 64.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension OutputFormat: ExpressibleByArgument {}

/// `--where FILTER`, declared once for every verb that selects runs.
struct FilterOption: ParsableArguments {
    @Option(name: .customLong("where"),
            help: "Only runs matching this filter, e.g. \"metrics.accuracy > 0.9 and params.bits <= 4\" (see the README's Filters).")
    var filter: String?
}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "Output format: table (for people), csv or json (for scripts).")
    var format: OutputFormat = .table
}

/// Runs a command body so that every failure is one sentence on stderr and exit status 1 (64
/// for a usage error), whatever layer it came from.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(64)
    } catch {
        FileHandle.standardError.write(Data("error: \(sentence(error))\n".utf8))
        throw ExitCode(1)
    }
}

/// The error as one line: Pare's own errors as they say; a system error by its cause, never
/// by a Foundation domain and code.
func sentence(_ error: any Error) -> String {
    var text = String(describing: error)
    if text.contains("Error Domain=") || text.contains("NSCocoaErrorDomain") {
        text = "a file operation failed: " + OutputFile.describe(error)
    }
    return text.replacingOccurrences(of: "\n", with: " ")
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Parses repeated `--set key=value` options.
func parseSettings(_ pairs: [String]) throws -> [String: String] {
    var settings: [String: String] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw UsageError("--set expects key=value, got '\(pair)'.")
        }
        let key = String(pair[..<eq]).trimmingCharacters(in: .whitespaces)
        guard settings[key] == nil else { throw UsageError("--set \(key) is given twice.") }
        settings[key] = String(pair[pair.index(after: eq)...])
    }
    return settings
}

/// Prints a table in the chosen format.
func printTable(_ table: ResultTable, _ format: OutputFormat) throws {
    let shown = format == .table ? table.droppingEmptyColumns(among: MetricVocabulary.headline) : table
    printOut(try shown.rendered(as: format))
}
