import Foundation
import PareTensor
import PareNN

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// Writes `text` to a fresh temporary file and returns its URL.
func temporaryCSV(_ text: String, name: String = "data.csv") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pare-nn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}

/// Two Gaussian-ish blobs per class on a line: a linearly separable toy problem.
func toyDataset(rows: Int, classes: Int = 3, features: Int = 4, seed: UInt64 = 7) -> Dataset {
    var rng = SeededRandom(seed: seed)
    var x: [Float] = [], y: [Int] = []
    for r in 0..<rows {
        let label = r % classes
        for f in 0..<features {
            let center: Float = f == label % features ? 3 : 0
            x.append(center + Float(rng.normal()) * 0.5)
        }
        y.append(label)
    }
    return Dataset(name: "toy", features: Tensor(shape: [rows, features], data: x), labels: y, classCount: classes)
}
