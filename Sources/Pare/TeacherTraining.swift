import Foundation
import PareNN
import PareTensor

/// `pare train`: fits an MLP from scratch on a CSV dataset and writes it as safetensors with
/// its architecture in `__metadata__`, ready to be the base model of compression runs.
public enum TeacherTraining {
    public struct Report: Sendable {
        public var model: Model
        public var epochs: [EpochStats]
        public var testAccuracy: Double
    }

    public static func train(arch: String, data: RunData, config: TrainingConfig,
                             progress: @escaping (Double, String) -> Void = { _, _ in }) throws -> Report {
        let (dims, activation) = try ModelIO.parseArch(arch)
        guard let train = data.train, let test = data.test.table else {
            throw PareError("pare train needs training data: pass --train FILE.csv.")
        }
        guard config.epochs > 0, config.batchSize > 0, config.learningRate > 0 else {
            throw PareError("epochs, batch size and learning rate must all be positive.")
        }
        var net = TrainableMLP(dims: dims, activation: activation, seed: config.seed)
        try data.check(against: net.model())
        let epochs = Trainer.train(&net, on: train, config: config, progress: progress)
        let trained = net.model()
        let predictions = Evaluator.predictions(trained, test)
        let correct = zip(predictions, test.labels).filter { $0 == $1 }.count
        return Report(model: trained, epochs: epochs, testAccuracy: Double(correct) / Double(test.rowCount))
    }

    /// Writes the model as safetensors, whole or not at all, never over a directory or over one
    /// of `protected` (the database, the command's inputs).
    public static func write(_ model: Model, to url: URL, protecting protected: [ProtectedPath] = []) throws {
        try ModelIO.safetensors(model).write(to: url, protecting: protected)
    }
}
