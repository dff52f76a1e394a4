import Foundation
import PareNN
import PareTensor
@testable import PareCompress

/// Fixtures for the quantization method tests: the digits teacher (64→256→128→10, ReLU, read by
/// `TeacherFixture`) and the digits CSVs.
enum QuantFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static let teacher: Model = try! TeacherFixture.model()

    static func digits(_ file: String, limit: Int? = nil) -> Dataset {
        let text = try! String(contentsOfFile: directory + "/" + file, encoding: .utf8)
        var lines = text.split(separator: "\n").dropFirst()
        if let limit { lines = lines.prefix(limit) }
        var features: [Float] = [], labels: [Int] = []
        for line in lines {
            let cells = line.split(separator: ",")
            labels.append(Int(cells[0])!)
            features += cells.dropFirst().map { Float($0)! }
        }
        return Dataset(name: file, features: Tensor(shape: [labels.count, 64], data: features), labels: labels, classCount: 10)
    }

    static let test = digits("digits_test.csv")
    static let calibration = digits("digits_train.csv", limit: 256)

    static func predictions(_ model: Model, _ x: Tensor) -> [Int] {
        let logits = model.forward(x)
        let k = logits.columns
        return (0..<logits.rows).map { r in
            let row = logits.data[(r * k)..<((r + 1) * k)]
            return row.indices.max { row[$0] < row[$1] }! - r * k
        }
    }

    static func accuracy(_ model: Model, _ data: Dataset) -> Double {
        let p = predictions(model, data.features)
        return Double(zip(p, data.labels).filter { $0 == $1 }.count) / Double(data.rowCount)
    }

    static func agreement(_ a: Model, _ b: Model, _ x: Tensor) -> Double {
        let pa = predictions(a, x), pb = predictions(b, x)
        return Double(zip(pa, pb).filter { $0 == $1 }.count) / Double(pa.count)
    }

    static func run(_ method: String, _ values: [String: String] = [:], model: Model = teacher,
                    calibration: Dataset? = QuantFixtures.calibration) throws -> Model {
        let settings = Settings(method: method, values: values)
        let m: any CompressionMethod
        switch method {
        case QuantWeight.name: m = try QuantWeight(settings: settings)
        case QuantGPTQ.name: m = try QuantGPTQ(settings: settings)
        case QuantStatic.name: m = try QuantStatic(settings: settings)
        case QuantDynamic.name: m = try QuantDynamic(settings: settings)
        case QuantSmooth.name: m = try QuantSmooth(settings: settings)
        default: fatalError(method)
        }
        return try m.compress(model, context: CompressionContext(calibration: calibration)).model
    }
}
