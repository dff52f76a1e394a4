import Foundation
import PareNN
import PareStore
import PareTensor

/// Rebuilds a recorded run's model from its stored tensors, exactly as it was evaluated.
public enum StoredModel {
    public static func load(run id: Int64, from store: any RunModelReading) throws -> Model {
        let info = try store.modelInfo(run: id)
        guard info.status == "finished" else {
            let why = info.error.map { ": \($0)" } ?? ""
            throw PareError("run \(id) is \(info.status)\(why); only finished runs have a model to export.")
        }
        let stored = try store.tensors(run: id)
        if let config = try transformerConfig(fromArchJSON: info.baseArchJSON) {
            return try TransformerIO.rebuild(configJSON: config, tensors: stored, run: id)
        }
        let activation = try activation(fromArchJSON: info.baseArchJSON, run: id)
        var weights: [String: any LinearWeight] = [:]
        var biases: [String: [Float]] = [:]
        for (name, tensor) in stored {
            if name.hasSuffix(".weight") {
                weights[String(name.dropLast(7))] = try WeightEncodings.decode(tensor)
            } else if name.hasSuffix(".bias") {
                guard tensor.encoding == DenseWeight.encodingName, tensor.payload.count == 4 * (tensor.shape.first ?? 0) else {
                    throw PareError("run \(id): bias \(name) is stored as \(tensor.encoding) \(tensor.shape); expected dense F32.")
                }
                biases[String(name.dropLast(5))] = Bytes.read(Float.self, from: tensor.payload, count: tensor.shape[0])
            }
        }
        // Layers in module order: fc1, fc2, … (numeric, so fc10 follows fc9).
        let names = weights.keys.sorted { layerIndex($0) < layerIndex($1) }
        let layers = names.map { LinearLayer(name: $0, weight: weights[$0]!, bias: biases[$0]) }
        for (a, b) in zip(layers, layers.dropFirst()) where a.outFeatures != b.inFeatures {
            throw PareError("run \(id): stored layers \(a.name) → \(b.name) do not chain (\(a.outFeatures) outputs, \(b.inFeatures) inputs).")
        }
        return Model(layers: layers, activation: activation)
    }

    /// The config.json of a transformer base model, recorded in its arch JSON; nil for an MLP.
    static func transformerConfig(fromArchJSON json: String?) throws -> Data? {
        guard let json, let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              object["arch"] as? String == "transformer", let config = object["config"] else { return nil }
        return try JSONSerialization.data(withJSONObject: config)
    }

    /// A run's base transformer with its recorded files (tokenizer.json, config.json): what
    /// `generate --run`, `embed --run` and `export-model` need besides the weights.
    public static func loadTransformer(run id: Int64, from store: any RunModelReading) throws -> (model: Model, files: [String: [UInt8]]) {
        let model = try load(run: id, from: store)
        guard model.isTransformer else { return (model, [:]) }
        guard let hash = try store.modelInfo(run: id).baseModelHash else {
            throw PareError("run \(id) has no base model recorded; its tokenizer cannot be found.")
        }
        return (model, try store.modelFiles(model: hash))
    }

    static func layerIndex(_ name: String) -> (Int, String) {
        (Int(name.drop(while: { !$0.isNumber })) ?? Int.max, name)
    }

    static func activation(fromArchJSON json: String?, run id: Int64) throws -> Activation {
        guard let json, let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let name = object["act"] as? String, let activation = Activation(rawValue: name)
        else { throw PareError("run \(id) has no readable base-model architecture; it cannot be rebuilt.") }
        return activation
    }
}
