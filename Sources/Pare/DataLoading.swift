import Foundation
import PareNN

/// The datasets of one run, loaded and checked against the model before anything is recorded.
public struct RunData: Sendable {
    public var train: Dataset?
    public var test: Dataset
    public var calibration: Dataset?

    /// `--test` when given; otherwise a seeded 80/20 split of `--train` (the same split every
    /// time for the same file and seed), so one file is enough to start.
    public static func load(train: String?, test: String?, calibration: String?, seed: UInt64) throws -> RunData {
        var trainSet = try train.map { try loadCSV($0) }
        let testSet: Dataset
        if let test {
            testSet = try loadCSV(test)
        } else if let whole = trainSet {
            let split = try whole.split(testFraction: 0.2, seed: seed)
            trainSet = split.train
            testSet = split.test
        } else {
            throw PareError("no evaluation data: pass --test FILE.csv (or --train FILE.csv to split off a test set).")
        }
        return RunData(train: trainSet, test: testSet, calibration: try calibration.map { try loadCSV($0) })
    }

    static func loadCSV(_ path: String) throws -> Dataset {
        let url = URL(fileURLWithPath: path)
        return try Dataset.loadCSV(url: url, name: url.lastPathComponent)
    }

    /// Every dataset must have the model's input width and no label beyond its outputs.
    public func check(against model: Model) throws {
        for (role, data) in [("training", train), ("test", test), ("calibration", calibration)] {
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
