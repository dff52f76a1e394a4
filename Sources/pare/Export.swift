import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every run as one row: run id, method, status, params.*, metrics.*.",
        discussion: "Example: pare export --format csv --out runs.csv"
    )

    @Option(help: "csv (RFC 4180, LF line ends) or json (an array of objects).") var format: OutputFormat = .csv
    @OptionGroup var selection: FilterOption
    @Option(help: "Write to this file instead of stdout.") var out: String?
    @Option(help: "Only these columns, in this order, e.g. run_id,method,metrics.accuracy,params.bits.") var columns: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            if let out { try OutputFile.check(out, protecting: database.protected) }
            let store = try database.openQueries()
            let names = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            try exportRuns(store, format: format, filter: selection.filter, columns: names, out: out, protecting: database.protected)
        }
    }
}

/// Streams the export to a file (written whole or not at all, never over a directory or a
/// protected file) or to stdout.
func exportRuns(_ store: any RunQueries, format: OutputFormat, filter: String?, columns: [String]? = nil, out: String?,
                protecting protected: [ProtectedPath]) throws {
    guard let out else {
        let stream = FileHandleOutputStream(FileHandle.standardOutput)
        var sink = StreamingSink(format: format, output: stream)
        try store.export(filter: filter, columns: columns, into: &sink)
        stream.flush()
        return
    }
    try OutputFile.write(to: out, protecting: protected) { handle in
        let stream = FileHandleOutputStream(handle)
        var sink = StreamingSink(format: format, output: stream)
        try store.export(filter: filter, columns: columns, into: &sink)
        stream.flush()
    }
}
