import Foundation
import Testing
@testable import PareCompress
import PareNN
import PareTensor

/// Test fixtures: the spine's teacher (read with a minimal safetensors parser, so these tests do
/// not wait for the real reader) and the digits CSVs.
enum PruningFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Every F32 tensor of a safetensors file: 8-byte little-endian header length, JSON header, data.
    static func readSafetensors(_ url: URL) throws -> [String: Tensor] {
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + headerLength])) as! [String: Any]
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            let entry = value as! [String: Any]
            precondition(entry["dtype"] as! String == "F32")
            let shape = (entry["shape"] as! [Int])
            let offsets = entry["data_offsets"] as! [Int]
            let count = shape.reduce(1, *)
            tensors[name] = Tensor(shape: shape, data: Bytes.read(Float.self, from: bytes, offset: 8 + headerLength + offsets[0], count: count))
        }
        return tensors
    }

    /// The 64→256→128→10 ReLU teacher.
    static func teacher() throws -> Model {
        let t = try readSafetensors(directory.appendingPathComponent("teacher.safetensors"))
        let layers = ["fc1", "fc2", "fc3"].map { name in
            LinearLayer(name: name, weight: DenseWeight(t["\(name).weight"]!), bias: t["\(name).bias"]!.data)
        }
        return Model(layers: layers, activation: .relu)
    }

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
