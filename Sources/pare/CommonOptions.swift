import ArgumentParser
import Foundation
import Pare
import PareStore

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The SQLite database of runs.")
    var db: String = "pare.sqlite"

    /// The store for reading: a missing file is an error, not a new empty database.
    func openForReading() throws -> Store { try Store(path: db, create: false) }
    func openForWriting() throws -> Store { try Store(path: db, create: true) }
}

extension OutputFormat: ExpressibleByArgument {}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "Output format: table (for people), csv or json (for scripts).")
    var format: OutputFormat = .table
}

/// Runs a command body so that every failure is one sentence on stderr and exit status 1,
/// whatever layer it came from.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(sentence(error))\n".utf8))
        throw ExitCode(1)
    }
}

/// The error as one line.
func sentence(_ error: any Error) -> String {
    String(describing: error).replacingOccurrences(of: "\n", with: " ")
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Parses repeated `--set key=value` options.
func parseSettings(_ pairs: [String]) throws -> [String: String] {
    var settings: [String: String] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw PareError("--set expects key=value, got '\(pair)'.")
        }
        let key = String(pair[..<eq]).trimmingCharacters(in: .whitespaces)
        guard settings[key] == nil else { throw PareError("--set \(key) is given twice.") }
        settings[key] = String(pair[pair.index(after: eq)...])
    }
    return settings
}

/// Prints a table in the chosen format.
func printTable(_ table: ResultTable, _ format: OutputFormat) throws {
    printOut(try table.rendered(as: format))
}
