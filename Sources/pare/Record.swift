import ArgumentParser
import Foundation
import Pare
import PareNN

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compress a model with one method, evaluate it and record the run.",
        discussion: """
        Examples:
          pare record --model teacher.safetensors --test test.csv --method prune-magnitude --set amount=0.5
          pare record --model teacher.safetensors --test test.csv --method quant-weight --set bits=8
        Prints the new run's id on stdout. List the methods with `pare methods`.
        """
    )

    @Option(help: "The base model (safetensors).") var model: String
    @Option(help: "Architecture when the file has no __metadata__, e.g. mlp:64,256,128,10:relu.") var arch: String?
    @Option(help: "Training data (CSV with a label column); split 80/20 when --test is absent.") var train: String?
    @Option(help: "Test data (CSV with a label column).") var test: String?
    @Option(help: "Calibration data for data-aware methods (CSV).") var calib: String?
    @Option(help: "The compression method (see `pare methods`).") var method: String
    @Option(name: .customLong("set"), help: "A method setting key=value (repeatable).") var settings: [String] = []
    @Option(help: "A name for the run.") var name: String?
    @Option(help: "The experiment the run belongs to.") var experiment: String = "default"
    @Option(help: "Seed for every random choice (splits, training).") var seed: UInt64 = 0
    @Flag(help: "Skip latency and throughput measurement (faster).") var noTiming = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let request = RecordRequest(
                modelPath: model, arch: arch, trainPath: train, testPath: test, calibrationPath: calib,
                method: method, settings: try parseSettings(settings), name: name, experiment: experiment,
                seed: seed, measureSpeed: !noTiming)
            let prepared = try Recorder.prepare(request)
            let interrupts = InterruptGuard()
            let store = try database.openForWriting()
            let bar = ProgressBar(label: method)
            let id = try Recorder.record(prepared, store: store, progress: { bar.update($0, $1) },
                                         onRunStarted: { interrupts.track($0, in: store) })
            bar.finish()
            interrupts.track(nil, in: nil)
            printOut("\(id)\n")
        }
    }
}
