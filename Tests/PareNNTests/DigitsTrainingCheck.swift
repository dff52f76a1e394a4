import Foundation
import Testing
import PareTensor
import PareNN

/// The real-data sanity check: too slow for the debug test run, so it runs only when asked:
/// `PARE_DIGITS=1 swift test -c release --filter digitsTeacherAccuracy`.
@Test(.enabled(if: ProcessInfo.processInfo.environment["PARE_DIGITS"] != nil))
func digitsTeacherAccuracy() throws {
    let train = try Dataset.loadCSV(url: Fixtures.url("digits_train.csv"))
    let test = try Dataset.loadCSV(url: Fixtures.url("digits_test.csv"))
    var net = TrainableMLP(dims: [64, 256, 128, 10], activation: .relu, seed: 0)
    let started = Date()
    let history = Trainer.train(&net, on: train, config: TrainingConfig(epochs: 60, batchSize: 64, learningRate: 1e-3, seed: 0))
    let accuracy = Evaluator.accuracy(net.model(), test)
    print("digits: train acc \(history.last!.trainAccuracy), test acc \(accuracy) (\(Int((accuracy * 360).rounded()))/360), \(Date().timeIntervalSince(started)) s")
    #expect(accuracy >= 0.96)
}

/// Loader speed on a large file (e.g. 60 000 × 784, ~110 MB), only when asked:
/// `PARE_CSV_FILE=/tmp/big.csv swift test -c release --filter largeCSVLoadTime`.
@Test(.enabled(if: ProcessInfo.processInfo.environment["PARE_CSV_FILE"] != nil))
func largeCSVLoadTime() throws {
    let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PARE_CSV_FILE"]!)
    let started = Date()
    let d = try Dataset.loadCSV(url: url)
    let loaded = Date().timeIntervalSince(started)
    let hashStarted = Date()
    let hash = d.contentHash
    #expect(d.rowCount > 0)
    #expect(try Dataset.loadCSV(url: url).contentHash == hash, "loading the same file twice gave different data")
    print("loaded \(d.rowCount)×\(d.featureCount) in \(loaded) s; contentHash \(hash.prefix(12))… in \(Date().timeIntervalSince(hashStarted)) s")
}
