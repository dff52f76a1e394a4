import Foundation
import Testing
@testable import PareCompress
import PareNN
import PareTensor

/// Test fixtures: the spine's teacher (`TeacherFixture`) and the digits CSVs.
enum PruningFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The 64→256→128→10 ReLU teacher.
    static func teacher() throws -> Model { try TeacherFixture.model() }

    /// A digits CSV (label first) as a Dataset, at most `limit` rows.
    static func digits(_ file: String, limit: Int = .max) throws -> Dataset {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        let lines = text.split(separator: "\n").dropFirst().prefix(limit)
        var features: [Float] = []
        var labels: [Int] = []
        for line in lines {
            let cells = line.split(separator: ",")
            labels.append(Int(cells[0])!)
            features += cells.dropFirst().map { Float($0)! }
        }
        return Dataset(name: file, features: Tensor(shape: [labels.count, 64], data: features), labels: labels, classCount: 10)
    }

    static func accuracy(_ model: Model, on data: Dataset) -> Double {
        let logits = model.forward(data.features)
        var correct = 0
        for r in 0..<data.rowCount {
            let row = logits.data[r * logits.columns ..< (r + 1) * logits.columns]
            if row.indices.max(by: { row[$0] < row[$1] })! - row.startIndex == data.labels[r] { correct += 1 }
        }
        return Double(correct) / Double(data.rowCount)
    }

    static func zeros(_ model: Model) -> [Int] { model.layers.map { $0.weight.parameterCount - $0.weight.nonzeroCount } }

    static func method<M: CompressionMethod>(_ type: M.Type, _ values: [String: String]) throws -> M {
        try M(settings: Settings(method: M.name, values: values))
    }
}

@Suite struct PruningSupportTests {
    @Test func prunedCountRoundsHalfToEvenLikePython() {
        #expect(Pruning.prunedCount(amount: 0.5, of: 5) == 2)     // round(2.5) = 2
        #expect(Pruning.prunedCount(amount: 0.5, of: 7) == 4)     // round(3.5) = 4
        #expect(Pruning.prunedCount(amount: 0.3, of: 10) == 3)
        #expect(Pruning.prunedCount(amount: 0.5, of: 16384) == 8192)
    }

    @Test func keepMaskPrunesExactlyKWithLowerIndexFirstOnTies() {
        let keep = Pruning.keepMask(scores: [3, 1, 2, 1, 1, 5], pruning: 2)
        #expect(keep == [true, false, true, false, true, true])
        #expect(Pruning.keepMask(scores: [1, 2], pruning: 0) == [true, true])
        #expect(Pruning.keepMask(scores: [1, 2], pruning: 2) == [false, false])
    }

    @Test func agpScheduleFollowsTheCubic() {
        // s_t = s_f + (s_0 − s_f)(1 − t/n)³ with s_0 = 0, s_f = 0.8, n = 4.
        let s = AGPSchedule.sparsities(steps: 4, final: 0.8)
        let expected = [0.8 - 0.8 * 0.421875, 0.8 - 0.8 * 0.125, 0.8 - 0.8 * 0.015625, 0.8]
        for (a, b) in zip(s, expected) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(AGPSchedule.sparsity(step: 0, of: 4, initial: 0.1, final: 0.9) - 0.1) < 1e-12)
        #expect(abs(AGPSchedule.sparsity(step: 2, of: 4, initial: 0.1, final: 0.9) - (0.9 - 0.8 * 0.125)) < 1e-12)
        #expect(s == s.sorted())
    }
}
