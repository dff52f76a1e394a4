import ArgumentParser
import Foundation
import Pare
import PareNN
import PareStore

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Record the cartesian product of a grid of settings as runs; resumable.",
        discussion: """
        Example:
          pare sweep --method prune-magnitude --grid amount=0.5,0.7,0.9 --grid layers=fc1,fc2 \\
                     --model teacher.safetensors --test test.csv
        records 6 runs (3 amounts × 2 layers). --grid key=v1,v2,… splits on ','; use '|' when a
        value holds commas (--grid 'layers=fc1,fc2|fc3' is layers=fc1,fc2 and layers=fc3).
        --set adds a setting every point shares. Pipelines sweep too:
          pare sweep --method prune-magnitude+quant-weight --grid prune.amount=0.5,0.8 --grid quant.bits=4,8 …
        Every point is checked before anything is recorded. Resume: a point whose identity (the
        config hash of method + every setting + seed, the experiment, the base model's hash and
        the datasets' hashes) already has a FINISHED run is skipped; failed or interrupted ones
        are retried. Ctrl-C marks the current run failed and keeps the finished ones.
        """
    )

    @Option(help: "The base model (safetensors).") var model: String
    @Option(help: "Architecture when the file has no __metadata__, e.g. mlp:64,256,128,10:relu.") var arch: String?
    @Option(help: "Training data (CSV with a label column); split 80/20 when --test is absent.") var train: String?
    @Option(help: "Test data (CSV with a label column).") var test: String?
    @Option(help: "Calibration data for data-aware methods: a CSV for an MLP; text:FILE[,samples=N][,context=C] for a decoder LM (defaults 32 windows of 512 tokens; use another text than --test).") var calib: String?
    @Option(help: "The compression method (see `pare methods`), or a pipeline A+B.") var method: String
    @Option(name: .customLong("grid"), help: "A swept setting key=v1,v2,… (repeatable; the runs are the cartesian product).")
    var grid: [String] = []
    @Option(name: .customLong("set"), help: "A setting every run shares, key=value (repeatable).") var settings: [String] = []
    @Option(help: "A prefix for the run names (each run is named by its grid values).") var name: String?
    @Option(help: "The experiment the runs belong to.") var experiment: String = "default"
    @Option(parsing: .unconditional, help: "Seed for every random choice (splits, training).") var seed: UInt64 = 0
    @Flag(help: "Skip latency and throughput measurement (faster).") var noTiming = false
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let axes = try Sweep.parseGrid(grid)
            let request = SweepRequest(
                base: RecordRequest(modelPath: model, arch: arch, trainPath: train, testPath: test, calibrationPath: calib,
                                    method: method, settings: try parseSettings(settings), name: name,
                                    experiment: experiment, seed: seed, measureSpeed: !noTiming),
                grid: axes)
            let prepared = try Sweep.prepare(request)
            let interrupts = InterruptGuard.shared
            let store = try database.openForWriting()
            defer { store.close() }
            let skipped = try Sweep.alreadyRecorded(prepared, in: store).count
            let count = prepared.points.count
            FileHandle.standardError.write(Data("sweep: \(count) point\(count == 1 ? "" : "s"), skipped \(skipped) already recorded, recording \(count - skipped).\n".utf8))
            let bar = ProgressBar(label: "sweep")
            let outcomes = try Sweep.run(prepared, store: store, progress: { bar.update($0, $1) },
                                         onRunStarted: { interrupts.track($0, in: store) },
                                         onRunEnded: { interrupts.track(nil, in: nil) })
            bar.finish()
            try printTable(try Sweep.table(outcomes, grid: axes, store: store), format.format)
            let failed = outcomes.filter { $0.status == .failed }
            if let first = failed.first {
                throw PareError("\(failed.count) of \(count) sweep runs failed (rerun to retry them); first: \(first.point.label): \(first.error ?? "unknown error")")
            }
        }
    }
}
