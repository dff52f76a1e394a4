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

        Many machines: --shard I/N records only the points whose index in the grid (the \
        cartesian product, first --grid outermost) is I modulo N; I is 0-based, 0 ≤ I < N. Every \
        shard checks every point's settings; run the same command with I = 0…N-1 and the shards \
        together record the grid exactly once (resume works per shard). --shard auto reads a \
        Slurm array job's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (offset by \
        SLURM_ARRAY_TASK_MIN, so --array=1-8 is shards 0…7), or a Kubernetes Indexed Job's \
        JOB_COMPLETION_INDEX with --shard-count N (the Job's completions; Kubernetes sets no \
        count variable). Each shard can write its own database; `pare merge` joins them.
        """
    )

    @Option(help: "The base model (safetensors).") var model: String
    @Option(help: "Architecture when the file has no __metadata__, e.g. mlp:64,256,128,10:relu.") var arch: String?
    @Option(help: "Training data (CSV with a label column); split 80/20 when --test is absent.") var train: String?
    @Option(help: "Test data (CSV with a label column).") var test: String?
    @Option(help: "Calibration data for data-aware methods: a CSV for an MLP; text:FILE[,samples=N][,context=C] for a decoder LM (defaults 32 windows of 512 tokens; use another text than --test); sentences:FILE[,rows=N] for an encoder.") var calib: String?
    @Option(help: "The compression method (see `pare methods`), or a pipeline A+B.") var method: String
    @Option(name: .customLong("grid"), help: "A swept setting key=v1,v2,… (repeatable; the runs are the cartesian product).")
    var grid: [String] = []
    @Option(name: .customLong("set"), help: "A setting every run shares, key=value (repeatable).") var settings: [String] = []
    @Option(help: "A prefix for the run names (each run is named by its grid values).") var name: String?
    @Option(help: "The experiment the runs belong to.") var experiment: String = "default"
    @Option(parsing: .unconditional, help: "Seed for every random choice (splits, training).") var seed: UInt64 = 0
    @Flag(help: "Skip latency and throughput measurement (faster).") var noTiming = false
    @Option(help: "Record only this share of the grid: I/N (0-based, 0 ≤ I < N; point k is shard k mod N), or auto (Slurm array or Kubernetes Indexed Job variables).")
    var shard: String?
    @Option(help: "The number of shards for --shard auto under a Kubernetes Indexed Job (its completions).")
    var shardCount: Int?
    @OptionGroup var format: FormatOption
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let axes = try Sweep.parseGrid(grid)
            let slice = try parsedShard()
            let request = SweepRequest(
                base: RecordRequest(modelPath: model, arch: arch, trainPath: train, testPath: test, calibrationPath: calib,
                                    method: method, settings: try parseSettings(settings), name: name,
                                    experiment: experiment, seed: seed, measureSpeed: !noTiming),
                grid: axes, shard: slice)
            let prepared = try Sweep.prepare(request)
            let interrupts = InterruptGuard.shared
            let store = try database.openTracker()
            defer { store.close() }
            let skipped = try Sweep.alreadyRecorded(prepared, in: store).count
            let count = prepared.points.count
            let points = slice == .whole ? "\(count) point\(count == 1 ? "" : "s")"
                : "shard \(slice): \(count) of \(prepared.gridSize) points"
            FileHandle.standardError.write(Data("sweep: \(points), skipped \(skipped) already recorded, recording \(count - skipped).\n".utf8))
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

    /// The shard asked for; a bad --shard is a usage error (exit 64) found before anything is
    /// loaded or recorded.
    private func parsedShard() throws -> SweepShard {
        guard let shard else {
            if shardCount != nil { throw UsageError("--shard-count goes with --shard auto; add --shard auto.") }
            return .whole
        }
        do {
            return try SweepShard.parse(shard, shardCount: shardCount, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw UsageError(String(describing: error))
        }
    }
}
