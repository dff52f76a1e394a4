import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The tiny random checkpoints of scripts/fixtures/make_transformer_fixtures.py and their
/// numpy reference outputs.
enum TransformerFixtures {
    static func directory(_ name: String) -> URL { Fixtures.url("transformers/\(name)") }

    static func model(_ name: String) throws -> TransformerModel {
        try TransformerRegistry.load(directory: directory(name))
    }

    static func decoder(_ name: String) throws -> CausalDecoder {
        guard case .decoder(let m) = try model(name) else { throw TransformerError.emptyInput("not a decoder") }
        return m
    }

    static func bert(_ name: String = "bert_tiny") throws -> BertModel {
        guard case .encoder(let m) = try model(name) else { throw TransformerError.emptyInput("not an encoder") }
        return m
    }

    static func reference(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile.read(contentsOf: directory(name).appendingPathComponent("reference.safetensors"))
    }

    static func tokens(_ ref: SafetensorsFile, _ key: String) throws -> [Int] {
        try ref.tensor(key).data.map { Int($0) }
    }
}

/// max|a − b| / max|b| — the relative error of a whole tensor against its reference.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared tensors differ in size: \(a.count) vs \(b.count)")
    var diff: Float = 0, scale: Float = 0
    for i in a.indices {
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return scale == 0 ? diff : diff / scale
}

func expectClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-5, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(what): \(a.shape) vs reference \(b.shape)", sourceLocation: sourceLocation)
    guard a.count == b.count else { return }
    let err = relativeError(a.data, b.data)
    #expect(err <= tolerance, "\(what): relative error \(err)", sourceLocation: sourceLocation)
}

/// Rows lo..<hi of a matrix.
func rows(_ t: Tensor, _ range: Range<Int>) -> Tensor {
    let c = t.columns
    return Tensor(shape: [range.count, c], data: Array(t.data[range.lowerBound * c..<range.upperBound * c]))
}
