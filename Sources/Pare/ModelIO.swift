import Foundation
import PareNN
import PareTensor

/// Reads models — an MLP safetensors file in PyTorch's naming and layout (`fc1.weight` is
/// [out, in], `fc1.bias` is [out]), a Hugging Face model directory, or a GGUF file, told apart
/// by their content — and writes MLPs back as safetensors (transformers: `TransformerIO`).
public enum ModelIO {
    /// A base model as loaded from a file, with the facts the record keeps about it.
    public struct Loaded: Sendable {
        public var model: Model
        public var name: String
        /// SHA-256 of the model's weights in canonical form (F32 safetensors of every tensor).
        public var hash: String
        /// Bytes of the F32 weights and biases, the base of `compression_ratio`.
        public var sizeBytes: Int
        /// Files recorded with the model besides its weights (a transformer's config.json and tokenizer.json).
        public var files: [(name: String, bytes: [UInt8])] = []
        /// A transformer's tokenizer (nil for an MLP, or a directory without tokenizer.json).
        public var tokenizer: (any Tokenizer)? = nil
    }

    /// Loads `url`: a Hugging Face model directory (config.json beside the weights), a GGUF
    /// file (by its magic bytes), a transformer's `model.safetensors` with its config.json
    /// beside it, or an MLP safetensors file.
    public static func load(contentsOf url: URL, arch: String? = nil) throws -> Loaded {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PareError("no model file at \(url.path).")
        }
        if let checkpoint = try TransformerIO.checkpoint(at: url) {
            if arch != nil { throw PareError("--arch describes an MLP; \(url.path) carries its own architecture, so leave --arch out.") }
            return TransformerIO.loaded(try TransformerIO.loadCheckpoint(checkpoint), name: checkpoint.deletingPathExtension().lastPathComponent)
        }
        let name = url.deletingPathExtension().lastPathComponent
        let file = try SafetensorsFile.read(contentsOf: url)
        let model = try model(from: file, arch: arch, source: url.lastPathComponent)
        let canonical = safetensors(model)
        return Loaded(model: model, name: name,
                      hash: SHA256.hex(canonical.serialized()), sizeBytes: storedSize(of: model))
    }

    /// Parses "mlp:64,256,128,10:relu".
    public static func parseArch(_ text: String) throws -> (dims: [Int], activation: Activation) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "mlp" else {
            throw PareError("architecture '\(text)' is not of the form mlp:IN,HIDDEN…,OUT:ACTIVATION (e.g. mlp:64,256,128,10:relu).")
        }
        let dims = parts[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count >= 2, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw PareError("architecture '\(text)' needs at least two positive layer widths, e.g. mlp:64,256,10:relu.")
        }
        guard let activation = Activation(rawValue: parts[2]) else {
            throw PareError("unknown activation '\(parts[2])' (known: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))).")
        }
        return (dims.map { $0! }, activation)
    }

    /// Builds an MLP from a file's tensors. The architecture comes from `arch` when given,
    /// else from the file's `__metadata__` (arch=mlp, dims=…, act=…).
    public static func model(from file: SafetensorsFile, arch: String?, source: String) throws -> Model {
        let (dims, activation) = try architecture(of: file, override: arch, source: source)
        let factored: [String: Int]
        do {
            factored = Dictionary(try LowRankExport.factoredLayers(metadata: file.metadata ?? [:]).map { ($0.layer, $0.rank) },
                                  uniquingKeysWith: { a, _ in a })
        } catch {
            throw PareError("\(source): \(error)")
        }
        var layers: [LinearLayer] = []
        for index in 0..<(dims.count - 1) {
            let name = "fc\(index + 1)"
            let (inWidth, outWidth) = (dims[index], dims[index + 1])
            let weight = try layerWeight(name, rank: factored[name], in: file, source: source)
            guard weight.inFeatures == inWidth, weight.outFeatures == outWidth else {
                throw PareError("\(source): \(name).weight is [\(weight.outFeatures), \(weight.inFeatures)] but the architecture needs [\(outWidth), \(inWidth)]; the layer shapes do not chain.")
            }
            var bias: [Float]? = nil
            let biasName = factored[name] == nil ? "\(name).bias" : LowRankExport.tensorNames(layer: name).bias
            if let stored = file[biasName] {
                guard stored.shape == [outWidth] else {
                    throw PareError("\(source): \(biasName) has shape \(stored.shape) but \(name) has \(outWidth) outputs.")
                }
                bias = stored.floats()
                guard bias!.allSatisfy(\.isFinite) else {
                    throw PareError("\(source): \(biasName) contains NaN or infinite values; the model cannot be evaluated.")
                }
            }
            layers.append(LinearLayer(name: name, weight: weight, bias: bias))
        }
        let expected = Set(layers.flatMap { layer -> [String] in
            guard factored[layer.name] != nil else { return ["\(layer.name).weight", "\(layer.name).bias"] }
            let names = LowRankExport.tensorNames(layer: layer.name)
            return [names.first, names.second, names.bias]
        })
        if let extra = file.tensors.map(\.name).first(where: { !expected.contains($0) }) {
            throw PareError("\(source): tensor '\(extra)' does not belong to architecture \(Model(layers: layers, activation: activation).archString).")
        }
        return Model(layers: layers, activation: activation)
    }

    private static func layerWeight(_ name: String, rank: Int?, in file: SafetensorsFile, source: String) throws -> any LinearWeight {
        if let rank {
            let names = LowRankExport.tensorNames(layer: name)
            guard let first = file[names.first], let second = file[names.second] else {
                throw PareError("\(source) declares \(name) factored (rank \(rank)) but lacks \(names.first) or \(names.second).")
            }
            let tensors = [names.first: first.tensor, names.second: second.tensor]
            guard tensors.values.allSatisfy(\.isFinite) else {
                throw PareError("\(source): \(name)'s factors contain NaN or infinite values; the model cannot be evaluated.")
            }
            do {
                return try LowRankExport.weight(layer: name, tensors: tensors, rank: rank)!
            } catch {
                throw PareError("\(source): \(error)")
            }
        }
        guard let stored = file["\(name).weight"] else {
            throw PareError("\(source) has no tensor \(name).weight (it has: \(file.tensors.map(\.name).joined(separator: ", "))).")
        }
        guard stored.shape.count == 2 else {
            throw PareError("\(source): \(name).weight has shape \(stored.shape); a Linear weight must be 2-D [out, in].")
        }
        let tensor = stored.tensor
        guard tensor.isFinite else {
            throw PareError("\(source): \(name).weight contains NaN or infinite values; the model cannot be evaluated.")
        }
        return DenseWeight(tensor)
    }

    private static func architecture(of file: SafetensorsFile, override: String?, source: String) throws -> (dims: [Int], activation: Activation) {
        if let override { return try parseArch(override) }
        guard let meta = file.metadata, let arch = meta["arch"] else {
            throw PareError("\(source) has no architecture in its __metadata__; pass --arch, e.g. --arch \(guessedArch(file)).")
        }
        guard arch == "mlp" else {
            throw PareError("\(source) declares arch '\(arch)'; Pare reads MLPs (arch=mlp) so far.")
        }
        guard let dims = meta["dims"] else {
            throw PareError("\(source): __metadata__ has arch=mlp but no dims (e.g. \"dims\": \"64,256,128,10\").")
        }
        return try parseArch("mlp:\(dims):\(meta["act"] ?? "relu")")
    }

    /// A suggestion for --arch from the fcN.weight shapes, for the error message.
    private static func guessedArch(_ file: SafetensorsFile) -> String {
        var dims: [Int] = []
        var index = 1
        while let w = file["fc\(index).weight"], w.shape.count == 2 {
            if dims.isEmpty { dims.append(w.shape[1]) }
            dims.append(w.shape[0])
            index += 1
        }
        return dims.isEmpty ? "mlp:64,256,128,10:relu" : "mlp:\(dims.map(String.init).joined(separator: ",")):relu"
    }

    /// The model as a safetensors file: every weight decoded to F32 — except low-rank layers,
    /// which stay factored as two Linear layers (`fc1.0.weight` [k, in], `fc1.1.weight` [out, k],
    /// listed in `__metadata__` "lowrank") — with the architecture as it really is (structured
    /// pruning shrinks dims).
    public static func safetensors(_ model: Model) -> SafetensorsFile {
        var tensors: [(name: String, array: StoredArray)] = []
        var factored: [(layer: String, rank: Int)] = []
        for layer in model.layers {
            var biasName = "\(layer.name).bias"
            if let lowRank = layer.weight as? LowRankWeight {
                tensors += LowRankExport.tensors(layer: layer.name, weight: lowRank).map { ($0.name, StoredArray($0.tensor)) }
                factored.append((layer.name, lowRank.rank))
                biasName = LowRankExport.tensorNames(layer: layer.name).bias
            } else {
                tensors.append(("\(layer.name).weight", StoredArray(layer.weight.decoded())))
            }
            if let bias = layer.bias {
                tensors.append((biasName, StoredArray(Tensor(shape: [bias.count], data: bias))))
            }
        }
        var metadata = ["arch": "mlp", "dims": model.dims.map(String.init).joined(separator: ","),
                        "act": model.activation.rawValue, "written_by": "pare"]
        metadata.merge(LowRankExport.metadata(factored)) { a, _ in a }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The stored size of a model: every weight in its encoding plus F32 biases.
    public static func storedSize(of model: Model) -> Int {
        model.layers.reduce(0) { $0 + $1.weight.storedBytes + 4 * ($1.bias?.count ?? 0) }
    }
}
