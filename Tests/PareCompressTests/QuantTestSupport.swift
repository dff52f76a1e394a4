import Foundation
import PareNN
import PareTensor
@testable import PareCompress

/// Fixtures for the quantization method tests: the digits teacher (64→256→128→10, ReLU) read with
/// a minimal safetensors parser (F32 tensors only), and the digits CSVs.
enum QuantFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static let teacher: Model = {
        let bytes = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: directory + "/teacher.safetensors")))
        let n = Int(Bytes.read(UInt64.self, from: bytes, count: 1)[0])
        let header = try! JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        func tensor(_ name: String) -> Tensor {
            let entry = header[name] as! [String: Any]
            let shape = entry["shape"] as! [Int], offsets = entry["data_offsets"] as! [Int]
            return Tensor(shape: shape, data: Bytes.read(Float.self, from: bytes, offset: 8 + n + offsets[0], count: shape.reduce(1, *)))
        }
        let layers = ["fc1", "fc2", "fc3"].map { name in
            LinearLayer(name: name, weight: DenseWeight(tensor("\(name).weight")), bias: tensor("\(name).bias").data)
        }
        return Model(layers: layers, activation: .relu)
    }()

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
