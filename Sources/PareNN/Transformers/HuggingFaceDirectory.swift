import Foundation
import PareTensor

/// A Hugging Face model directory as `save_pretrained` writes it: `config.json`, the weights in
/// `model.safetensors` or in shards `model-0000x-of-0000y.safetensors` listed by
/// `model.safetensors.index.json`, and `tokenizer.json`.
public enum HuggingFaceDirectory {
    public struct Loaded: Sendable {
        public var model: TransformerModel
        public var configJSON: Data
        /// nil when the directory has no tokenizer.json.
        public var tokenizerJSON: Data?
        /// tokenizer_config.json (special tokens, the chat template), nil when absent.
        public var tokenizerConfigJSON: Data?
    }

    /// Whether `url` looks like a model directory (it has a config.json).
    public static func isModelDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path)
    }

    public static func load(_ directory: URL) throws -> Loaded {
        let configURL = directory.appendingPathComponent("config.json")
        let config: Data
        do { config = try Data(contentsOf: configURL) } catch {
            throw TransformerError.badConfig(source: configURL.path, reason: "the file cannot be read")
        }
        let model = try TransformerRegistry.load(configJSON: config, tensors: try tensors(in: directory))
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let tokenizer = FileManager.default.fileExists(atPath: tokenizerURL.path) ? try Data(contentsOf: tokenizerURL) : nil
        let tokenizerConfigURL = directory.appendingPathComponent("tokenizer_config.json")
        let tokenizerConfig = FileManager.default.fileExists(atPath: tokenizerConfigURL.path) ? try Data(contentsOf: tokenizerConfigURL) : nil
        return Loaded(model: model, configJSON: config, tokenizerJSON: tokenizer, tokenizerConfigJSON: tokenizerConfig)
    }

    /// The directory's weights: the single file, or every shard the index names.
    static func tensors(in directory: URL) throws -> any TensorProvider {
        let single = directory.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: single.path) { return try SafetensorsTensorProvider(contentsOf: single) }
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        guard FileManager.default.fileExists(atPath: indexURL.path) else {
            throw TransformerError.badConfig(source: directory.path,
                                             reason: "it has neither model.safetensors nor model.safetensors.index.json with its shards")
        }
        struct Index: Decodable { let weight_map: [String: String] }
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: indexURL)) } catch {
            throw TransformerError.badConfig(source: indexURL.path, reason: "it is not a JSON object with a weight_map of tensor names to shard files")
        }
        return try ShardedTensorProvider(directory: directory, weightMap: index.weight_map)
    }
}

/// Tensors spread over shard files by a weight map (tensor name → file name). Each shard is
/// read once, when a tensor in it is first asked for.
final class ShardedTensorProvider: TensorProvider, @unchecked Sendable {
    let directory: URL
    let weightMap: [String: String]
    private var shards: [String: SafetensorsTensorProvider] = [:]
    var sourceDescription: String { directory.path }

    init(directory: URL, weightMap: [String: String]) throws {
        self.directory = directory
        self.weightMap = weightMap
        for file in Set(weightMap.values) {
            guard !file.contains("/"), FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) else {
                throw TransformerError.badConfig(source: directory.path, reason: "the shard '\(file)' its index names is missing")
            }
        }
    }

    func tensor(named name: String) throws -> Tensor? {
        guard let file = weightMap[name] else { return nil }
        if shards[file] == nil {
            shards[file] = try SafetensorsTensorProvider(contentsOf: directory.appendingPathComponent(file))
        }
        return try shards[file]!.tensor(named: name)
    }
}
