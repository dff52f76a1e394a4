import PareNN
import PareTensor

/// The training set (`--train`) a fine-tuning method (gradual pruning, QAT) needs, checked against
/// the model before anything trains, so a bad file is a `ConfigError`, not a crash mid-run.
public enum TrainingData {
    /// The training data, or a `ConfigError` if the method was run without `--train`, or with data
    /// of the wrong width or with more classes than the model outputs.
    public static func require(_ context: CompressionContext, for method: String, purpose: String,
                               model: Model) throws -> Dataset {
        guard let training = context.training else {
            throw ConfigError("\(method) needs --train data for \(purpose): pass --train FILE.csv (labelled rows).")
        }
        guard training.featureCount == model.inputWidth else {
            throw ConfigError("training data \(training.name) has \(training.featureCount) features but the model takes \(model.inputWidth).")
        }
        guard training.classCount <= model.classCount else {
            throw ConfigError("training data \(training.name) has \(training.classCount) classes but the model outputs \(model.classCount).")
        }
        return training
    }

    /// `lr`: Adam's learning rate for fine-tuning.
    static func learningRate(_ settings: inout Settings, default fallback: Double) throws -> Double {
        try settings.double("lr", default: fallback, valid: ("a positive number (Adam's learning rate)", { $0 > 0 }))!
    }

    /// `batch_size` (default 64).
    static func batchSize(_ settings: inout Settings) throws -> Int {
        try settings.int("batch_size", default: 64, valid: ("a positive whole number", { $0 > 0 }))!
    }

    /// An epoch count under `key` (≥ 0).
    static func epochs(_ settings: inout Settings, key: String, default fallback: Int) throws -> Int {
        try settings.int(key, default: fallback, valid: ("a whole number ≥ 0", { $0 >= 0 }))!
    }
}
