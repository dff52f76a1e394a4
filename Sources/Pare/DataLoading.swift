import Foundation
import PareNN

/// What a run is evaluated on: a labelled table for an MLP, text windows for a decoder LM's
/// perplexity, sentences for an encoder's embeddings (and its probe).
public enum TestData: Sendable {
    case table(Dataset)
    case text(TextWindows)
    case sentences(SentenceSet)
    /// A decoder's prompts (`--test prompts:FILE`), for the task metrics of black-box distillation.
    case prompts(PromptSet)

    /// The table, for the MLP paths (training a teacher) that only take one.
    public var table: Dataset? {
        if case .table(let d) = self { return d }
        return nil
    }
}

/// The datasets of one run, loaded and checked against the model before anything is recorded.
public struct RunData: Sendable {
    public var train: Dataset?
    public var test: TestData
    public var calibration: Dataset?
    /// A transformer's calibration windows (`--calib text:FILE[,samples=N][,context=C]`).
    public var calibrationText: TextWindows? = nil
    /// A decoder's training text (`--train text:FILE[,tokens=N][,context=C]`), for `finetune`.
    public var trainText: TextWindows? = nil
    /// An encoder's labelled training sentences (`--train sentences:FILE`): the probe is
    /// trained on the base model's embeddings of them.
    public var trainSentences: SentenceSet? = nil
    /// A decoder's training prompts (`--train prompts:FILE`), for black-box distillation.
    public var trainPrompts: PromptSet? = nil
    /// Model files a method's settings name (teachers, a student to start from), loaded with the
    /// data so a bad file is an error before anything is recorded; keyed by the path as given.
    public var models: [String: Model] = [:]

    /// A data argument (`--train`, `--test`, `--calib`): a CSV file with a label column, or an
    /// IDX pair as the MNIST family ships them (raw or gzip),
    ///
    ///     idx:IMAGES,LABELS[,rows=N]
    ///
    /// e.g. `idx:/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz,/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz,rows=10000`;
    /// byte pixels are scaled to 0…1, and `rows=N` keeps the first N rows (a subset). Paths
    /// cannot contain commas.
    public static func loadDataset(_ spec: String) throws -> Dataset {
        guard spec.hasPrefix("idx:") else { return try loadCSV(spec) }
        let parts = spec.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let usage = "write idx:IMAGES,LABELS or idx:IMAGES,LABELS,rows=N"
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw PareError("data '\(spec)' is not an IDX pair: \(usage).")
        }
        var limit: Int?
        if parts.count == 3 {
            guard parts[2].hasPrefix("rows="), let n = Int(parts[2].dropFirst(5)), n > 0 else {
                throw PareError("data '\(spec)': '\(parts[2])' should be rows=N with N a positive whole number (\(usage)).")
            }
            limit = n
        }
        for path in parts.prefix(2) where !FileManager.default.fileExists(atPath: path) {
            throw PareError("no IDX file at \(path).")
        }
        let images = URL(fileURLWithPath: parts[0]).lastPathComponent
        var data = try Dataset.loadIDX(images: parts[0], labels: parts[1], name: images)
        if let limit {
            guard limit <= data.rowCount else {
                throw PareError("data '\(spec)' asks for rows=\(limit) but \(images) has only \(data.rowCount) rows.")
            }
            if limit < data.rowCount { data = data.subset(Array(0..<limit), name: "\(images)[:\(limit)]") }
        }
        return data
    }

    /// `--test` when given; otherwise a seeded 80/20 split of `--train` (the same split every
    /// time for the same file and seed), so one file is enough to start.
    public static func load(train: String?, test: String?, calibration: String?, seed: UInt64) throws -> RunData {
        var trainSet = try train.map { try loadDataset($0) }
        let testSet: Dataset
        if let test {
            testSet = try loadDataset(test)
        } else if let whole = trainSet {
            let split = try whole.split(testFraction: 0.2, seed: seed)
            trainSet = split.train
            testSet = split.test
        } else {
            throw PareError("no evaluation data: pass --test FILE.csv (or --train FILE.csv to split off a test set).")
        }
        return RunData(train: trainSet, test: .table(testSet), calibration: try calibration.map { try loadDataset($0) })
    }

    static func loadCSV(_ path: String) throws -> Dataset {
        let url = URL(fileURLWithPath: path)
        return try Dataset.loadCSV(url: url, name: url.lastPathComponent)
    }

    /// Every dataset must have the model's input width and no label beyond its outputs.
    public func check(against model: Model) throws {
        for (role, data) in [("training", train), ("test", test.table), ("calibration", calibration)] {
            guard let data else { continue }
            guard data.featureCount == model.inputWidth else {
                throw PareError("\(role) data \(data.name) has \(data.featureCount) features but the model takes \(model.inputWidth) inputs.")
            }
            if role != "calibration", data.classCount > model.classCount {
                throw PareError("\(role) data \(data.name) has labels up to \(data.classCount - 1) but the model has only \(model.classCount) outputs.")
            }
        }
    }
}
