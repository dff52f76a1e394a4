import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export every run as one row: run id, method, status, params.*, metrics.*.",
        discussion: "Example: pare export --format csv --out runs.csv"
    )

    @Option(help: "csv (RFC 4180, LF line ends) or json (an array of objects).") var format: OutputFormat = .csv
    @Option(name: .customLong("where"), help: "Only runs matching this filter.") var filter: String?
    @Option(help: "Write to this file instead of stdout.") var out: String?
    @Option(help: "Only these columns, in this order, e.g. run_id,method,metrics.accuracy,params.bits.") var columns: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            if let out { try OutputFile.check(out, protecting: database.protected) }
            let store = try database.openForReading()
            let names = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            try exportRuns(store, format: format, filter: filter, columns: names, out: out, protecting: database.protected)
        }
    }
}

/// Streams the export to a file (written whole or not at all, never over a directory or a
/// protected file) or to stdout.
func exportRuns(_ store: Store, format: OutputFormat, filter: String?, columns: [String]? = nil, out: String?,
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

struct ExportModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-model",
        abstract: "Write a run's compressed model back as a runnable model: safetensors (MLP) or a Hugging Face directory (transformer).",
        discussion: """
        Weights are decoded to F32 (pruned zeros, quantized values and shrunk shapes kept), so any
        PyTorch or Pare reader runs the model as it was evaluated. A transformer is written as a
        Hugging Face directory (config.json, model.safetensors under the checkpoint's tensor names,
        tokenizer.json); a low-rank layer NAME is stored as its two factors NAME.0.weight [k, in]
        and NAME.1.weight [out, k], listed in the safetensors metadata "lowrank".
        Examples:
          pare export-model 3 --out pruned.safetensors && pare record --model pruned.safetensors --test test.csv --method none
          pare export-model 7 --out smollm2-int8/ && pare record --model smollm2-int8 --test text:emma.txt --method none
        """
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "The safetensors file (MLP) or new directory (transformer) to write.") var out: String
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try database.openForReading()
            let (model, files) = try StoredModel.loadTransformer(run: runID, from: store)
            if let transformer = model.transformer {
                try TransformerIO.exportDirectory(transformer, files: files, to: out, protecting: database.protected)
            } else {
                try OutputFile.check(out, protecting: database.protected)
                try TeacherTraining.write(model, to: URL(fileURLWithPath: out), protecting: database.protected)
            }
            printOut("\(out)\n")
        }
    }
}
