import ArgumentParser
import Foundation
import Pare
import PareNN
import PareStore
import PareTensor

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP on CSV data and write it as safetensors (a base model to compress).",
        discussion: "Example: pare train --train digits_train.csv --test digits_test.csv --arch mlp:64,256,128,10:relu --out teacher.safetensors"
    )

    @Option(help: "Training data (CSV with a label column); split 80/20 when --test is absent.") var train: String
    @Option(help: "Test data for the reported accuracy.") var test: String?
    @Option(help: "Architecture, e.g. mlp:64,256,128,10:relu.") var arch: String
    @Option(help: "Epochs.") var epochs: Int = 60
    @Option(help: "Minibatch size.") var batchSize: Int = 64
    @Option(help: "Adam learning rate.") var lr: Double = 1e-3
    @Option(parsing: .unconditional, help: "Seed for initialization, shuffling and the split.") var seed: UInt64 = 0
    @Option(help: "Where to write the model (.safetensors).") var out: String
    @OptionGroup var format: FormatOption

    func run() throws {
        try reportingErrors {
            let inputs = [ProtectedPath(train, role: "the --train data")] + (test.map { [ProtectedPath($0, role: "the --test data")] } ?? [])
            try OutputFile.check(out, protecting: inputs)
            let data = try RunData.load(train: train, test: test, calibration: nil, seed: seed)
            let config = TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: lr, seed: seed)
            let bar = ProgressBar(label: "train")
            let report = try TeacherTraining.train(arch: arch, data: data, config: config, progress: { bar.update($0, $1) })
            bar.finish()
            try TeacherTraining.write(report.model, to: URL(fileURLWithPath: out), protecting: inputs)
            let last = report.epochs.last
            let summary: [(String, String)] = [
                ("model", out), ("arch", report.model.archString), ("epochs", String(report.epochs.count)),
                ("train_loss", last.map { String(format: "%.4f", $0.trainLoss) } ?? "-"),
                ("test_accuracy", String(format: "%.5f", report.testAccuracy)),
            ]
            printOut(try renderKeyValues(summary, format: format.format))
        }
    }
}

/// A two-column (key, value) listing in the chosen format.
func renderKeyValues(_ pairs: [(String, String)], format: OutputFormat,
                     columns: (String, String) = ("key", "value")) throws -> String {
    try ResultTable(columns: [columns.0, columns.1], rows: pairs.map { [.text($0.0), .text($0.1)] }).rendered(as: format)
}
