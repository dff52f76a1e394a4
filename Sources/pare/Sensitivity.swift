import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Compress one layer (or one block) at a time and show how much each moves the metric.",
        discussion: """
        Records, as runs of one experiment, the uncompressed model (method none, the reference)
        and then the method applied to one group of Linear layers at a time (its layers= set to
        the group): each Linear with --group layer (the default), each block's Linears with
        --group block. The groups are the method's own selection (--set layers=…, or its default:
        every Linear inside the blocks). Prints group, layers, run, status, the headline metric
        (perplexity for a decoder LM, else accuracy or embedding_cosine) and its change against
        the reference; --svg FILE draws that change as a bar chart, one bar per group.
        Example:
          pare sensitivity --model SmolLM2/ --test text:emma.txt,tokens=4096 --method quant-weight \\
                           --set bits=3 --group block --svg sensitivity.svg
        Resumes as sweep does: a group already recorded with the same identity is skipped.
        """
    )

    @Option(help: "The base model (safetensors, GGUF, or a Hugging Face directory).") var model: String
    @Option(help: "Architecture when the file has no __metadata__, e.g. mlp:64,256,128,10:relu.") var arch: String?
    @Option(help: "Training data (CSV with a label column); split 80/20 when --test is absent.") var train: String?
    @Option(help: "Test data: a CSV for an MLP; text:FILE[,tokens=N][,context=C] for a decoder LM.") var test: String?
    @Option(help: "Calibration data for data-aware methods: a CSV for an MLP; text:FILE[,samples=N][,context=C] for a decoder LM; sentences:FILE[,rows=N] for an encoder.") var calib: String?
    @Option(help: "The compression method (see `pare methods`); one method, not a pipeline.") var method: String
    @Option(name: .customLong("set"), help: "A setting of the method, key=value (repeatable; layers= picks the layers to group).")
    var settings: [String] = []
    @Option(help: "layer (each Linear alone) or block (each block's Linears together).") var group: String = "layer"
    @Option(help: "A prefix for the run names (each run is named \"sensitivity GROUP\").") var name: String?
    @Option(help: "The experiment the runs belong to.") var experiment: String = "sensitivity"
    @Option(parsing: .unconditional, help: "Seed for every random choice.") var seed: UInt64 = 0
    @Option(help: "Also write the bar chart (one bar per group) to this SVG file.") var svg: String?
    @Flag(help: "Measure latency and throughput too (slower; off by default here).") var timing = false
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            guard let grouping = SensitivityRequest.Grouping(rawValue: group) else {
                throw PareError("--group must be layer or block, not '\(group)'.")
            }
            if let svg { try OutputFile.check(svg, protecting: database.protected) }
            let request = SensitivityRequest(
                base: RecordRequest(modelPath: model, arch: arch, trainPath: train, testPath: test, calibrationPath: calib,
                                    method: method, settings: try parseSettings(settings), name: name,
                                    experiment: experiment, seed: seed, measureSpeed: timing),
                grouping: grouping)
            let prepared = try Sensitivity.prepare(request)
            let interrupts = InterruptGuard.shared
            let store = try database.openTracker()
            defer { store.close() }
            let count = prepared.groups.count
            FileHandle.standardError.write(Data("sensitivity: \(count) group\(count == 1 ? "" : "s") of \(method), plus the reference run.\n".utf8))
            let bar = ProgressBar(label: "sensitivity")
            let outcomes = try Sensitivity.run(prepared, store: store, progress: { bar.update($0, $1) },
                                               onRunStarted: { interrupts.track($0, in: store) },
                                               onRunEnded: { interrupts.track(nil, in: nil) })
            bar.finish()
            let result = try Sensitivity.result(prepared, outcomes, store: store)
            try printTable(Sensitivity.table(result), format.format)
            if let svg {
                let chart = Sensitivity.chart(result, method: method, grouping: grouping)
                try OutputFile.write(Array(chart.svg().utf8), to: svg, protecting: database.protected)
                FileHandle.standardError.write(Data("\(svg): \(result.rows.count) bars\n".utf8))
            }
            let failed = outcomes.filter { $0.status == .failed }
            if let first = failed.first {
                throw PareError("\(failed.count) of \(outcomes.count) sensitivity runs failed (rerun to retry them); first: \(first.point.label): \(first.error ?? "unknown error")")
            }
        }
    }
}
