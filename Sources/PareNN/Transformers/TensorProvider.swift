import Foundation
import PareTensor

/// Where an architecture's loader gets its weights: a checkpoint's tensors by name, nil when the
/// checkpoint has no such tensor. Safetensors files conform directly; a GGUF reader (or anything
/// else) plugs in as a `ClosureTensorProvider`.
public protocol TensorProvider {
    /// The named tensor as Float32, nil when absent; throws when it exists but cannot be read.
    func tensor(named name: String) throws -> Tensor?
    /// The file or source, for error messages.
    var sourceDescription: String { get }
}

/// A provider from a closure, e.g. `ClosureTensorProvider("model.gguf") { try gguf.dequantized($0) }`.
public struct ClosureTensorProvider: TensorProvider {
    public let sourceDescription: String
    private let body: (String) throws -> Tensor?

    public init(_ sourceDescription: String, _ body: @escaping (String) throws -> Tensor?) {
        self.sourceDescription = sourceDescription
        self.body = body
    }

    public func tensor(named name: String) throws -> Tensor? { try body(name) }
}

/// A provider over tensors already in memory (tests, exports).
public struct DictionaryTensorProvider: TensorProvider {
    public var tensors: [String: Tensor]
    public let sourceDescription: String

    public init(_ tensors: [String: Tensor], sourceDescription: String = "<memory>") {
        self.tensors = tensors
        self.sourceDescription = sourceDescription
    }

    public func tensor(named name: String) throws -> Tensor? { tensors[name] }
}

/// A safetensors checkpoint as a provider (reads the whole file once; tensors convert to F32 on
/// request, so an I64 tensor the architecture never asks for, like BERT's position_ids, costs nothing).
public struct SafetensorsTensorProvider: TensorProvider {
    public let file: SafetensorsFile
    public let sourceDescription: String
    private let index: [String: Int]

    public init(_ file: SafetensorsFile, sourceDescription: String = "<memory>") {
        self.file = file
        self.sourceDescription = sourceDescription
        var index: [String: Int] = [:]
        for (i, entry) in file.tensors.enumerated() { index[entry.name] = i }
        self.index = index
    }

    public init(contentsOf url: URL) throws {
        self.init(try SafetensorsFile.read(contentsOf: url), sourceDescription: url.path)
    }

    public func tensor(named name: String) throws -> Tensor? { index[name].map { file.tensors[$0].array.tensor } }
}

/// Fetches tensors for a loader and checks each one's shape against the config, so a mismatch
/// is a typed error naming the tensor rather than a crash deep in a forward pass.
struct WeightReader {
    let provider: any TensorProvider

    func optional(_ name: String, shape: [Int]) throws -> Tensor? {
        guard let t = try provider.tensor(named: name) else { return nil }
        guard t.shape == shape else {
            throw TransformerError.wrongShape(name: name, expected: shape, found: t.shape, source: provider.sourceDescription)
        }
        return t
    }

    func required(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = try optional(name, shape: shape) else {
            throw TransformerError.missingTensor(name: name, source: provider.sourceDescription)
        }
        return t
    }

    /// The Linear at `path` (`path.weight` [out, in], and `path.bias` [out] when `bias`).
    func linear(_ path: String, out: Int, in inFeatures: Int, bias: Bool) throws -> Linear {
        let w = try required(path + ".weight", shape: [out, inFeatures])
        let b = bias ? try required(path + ".bias", shape: [out]).data : nil
        return Linear(name: path, weight: DenseWeight(w), bias: b)
    }

    func rmsNorm(_ path: String, dim: Int, eps: Float) throws -> RMSNorm {
        RMSNorm(name: path, weight: try required(path + ".weight", shape: [dim]).data, eps: eps)
    }

    func layerNorm(_ path: String, dim: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(name: path, weight: try required(path + ".weight", shape: [dim]).data,
                  bias: try required(path + ".bias", shape: [dim]).data, eps: eps)
    }

    func embedding(_ path: String, count: Int, dim: Int) throws -> Embedding {
        Embedding(name: path, weight: try required(path + ".weight", shape: [count, dim]))
    }
}
