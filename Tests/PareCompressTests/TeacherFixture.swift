import Foundation
import PareNN
import PareTensor

/// The fixture teacher (64→256→128→10, ReLU) read with the real safetensors reader and built as
/// `ModelIO` builds it (PareCompressTests cannot import Pare): fc1…fc3, weight [out, in], bias.
enum TeacherFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func model(_ file: String = "teacher.safetensors") throws -> Model {
        let stored = try SafetensorsFile.read(contentsOf: directory.appendingPathComponent(file))
        let layers = try ["fc1", "fc2", "fc3"].map { name in
            LinearLayer(name: name, weight: DenseWeight(try stored.tensor("\(name).weight")),
                        bias: try stored.tensor("\(name).bias").data)
        }
        return Model(layers: layers, activation: .relu)
    }
}
