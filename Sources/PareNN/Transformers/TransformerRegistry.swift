import Foundation
import PareTensor

/// Every transformer a checkpoint can be, as one value a caller can evaluate, calibrate and
/// compress without knowing which architecture it is.
public enum TransformerModel: Sendable, LinearContainer {
    case decoder(CausalDecoder)
    case encoder(BertModel)

    public var modelType: String {
        switch self {
        case .decoder(let m): m.spec.modelType
        case .encoder: "bert"
        }
    }

    public var linears: [Linear] {
        switch self {
        case .decoder(let m): m.linears
        case .encoder(let m): m.linears
        }
    }

    public mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        switch self {
        case .decoder(var m): try m.mapLinears(transform); self = .decoder(m)
        case .encoder(var m): try m.mapLinears(transform); self = .encoder(m)
        }
    }
}

/// One architecture: the `model_type` values it serves and a loader from config.json plus
/// HF-named tensors.
public protocol TransformerArchitecture: Sendable {
    static var modelTypes: [String] { get }
    static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel
}

/// From `model_type` to the architecture that loads it; a new architecture adds itself here.
public enum TransformerRegistry {
    public static let architectures: [any TransformerArchitecture.Type] = [Llama.self, Qwen2.self, Mistral.self, Bert.self]

    public static var knownModelTypes: [String] { architectures.flatMap { $0.modelTypes }.sorted() }

    public static func architecture(for modelType: String) -> (any TransformerArchitecture.Type)? {
        architectures.first { $0.modelTypes.contains(modelType) }
    }

    /// Loads the model config.json describes, with its tensors from `tensors`.
    public static func load(configJSON: Data, tensors: any TensorProvider) throws -> TransformerModel {
        struct Probe: Decodable { let model_type: String? }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: configJSON) } catch {
            throw TransformerError.badConfig(source: "config.json", reason: "it is not a JSON object with a string model_type")
        }
        guard let type = probe.model_type else {
            throw TransformerError.badConfig(source: "config.json", reason: "it has no model_type")
        }
        guard let arch = architecture(for: type) else {
            throw TransformerError.unknownModelType(type, known: knownModelTypes)
        }
        return try arch.load(configJSON: configJSON, tensors: tensors)
    }

    /// Loads `directory/config.json` with its weights (`model.safetensors` or shards), the layout HF ships.
    public static func load(directory: URL) throws -> TransformerModel {
        let configURL = directory.appendingPathComponent("config.json")
        let json: Data
        do { json = try Data(contentsOf: configURL) } catch {
            throw TransformerError.badConfig(source: configURL.path, reason: "the file cannot be read")
        }
        return try load(configJSON: json, tensors: try HuggingFaceDirectory.tensors(in: directory))
    }
}

extension CodingUserInfoKey {
    /// A config value whose fields are the defaults for keys a config.json leaves out.
    static let configDefaults = CodingUserInfoKey(rawValue: "pare.configDefaults")!
}

/// Decodes a config, turning JSON problems into one-sentence typed errors.
func decodeConfig<C: Decodable & Sendable>(_ type: C.Type, from json: Data, overDefaults defaults: C? = nil,
                                source: String = "config.json") throws -> C {
    let decoder = JSONDecoder()
    if let defaults { decoder.userInfo[.configDefaults] = defaults }
    do {
        return try decoder.decode(C.self, from: json)
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        let key = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw TransformerError.badConfig(source: source, reason: "the value of '\(key)' has the wrong type")
    } catch {
        throw TransformerError.badConfig(source: source, reason: "it is not valid JSON")
    }
}
