import Foundation
import PareNN
import PareTensor

/// Transformers in and out of Pare: a Hugging Face directory or a GGUF file loaded as a
/// `Model`, its tensors as the record stores them (Hugging Face names), the model rebuilt from
/// them, and a Hugging Face directory written back.
public enum TransformerIO {
    /// The record's file names for what a transformer needs besides its weights.
    public static let configFile = "config.json"
    public static let tokenizerFile = "tokenizer.json"
    /// Hugging Face's tokenizer settings; kept for its `chat_template`, which a GGUF export
    /// writes as `tokenizer.chat_template` (a GGUF base's template is recorded in this file).
    public static let tokenizerConfigFile = "tokenizer_config.json"

    /// A transformer checkpoint as the record keeps it.
    struct Checkpoint {
        var model: TransformerModel
        var configJSON: Data
        var tokenizerJSON: Data?
        var tokenizerConfigJSON: Data?
        var tokenizer: (any Tokenizer)?
    }

    /// Loads a Hugging Face directory or (by its magic bytes) a GGUF file.
    static func loadCheckpoint(_ url: URL) throws -> Checkpoint {
        var checkpoint: Checkpoint
        if HuggingFaceDirectory.isModelDirectory(url) {
            let hf = try HuggingFaceDirectory.load(url)
            let tokenizer = try hf.tokenizerJSON.map { try TokenizerLoader.load(tokenizerJSON: $0, source: url.appendingPathComponent(tokenizerFile).path) }
            checkpoint = Checkpoint(model: hf.model, configJSON: hf.configJSON, tokenizerJSON: hf.tokenizerJSON,
                                    tokenizerConfigJSON: hf.tokenizerConfigJSON, tokenizer: tokenizer)
        } else {
            let gguf = try GGUFCheckpoint.load(try GGUFFile.open(url))
            checkpoint = Checkpoint(model: gguf.model, configJSON: gguf.configJSON, tokenizerJSON: gguf.tokenizerJSON,
                                    tokenizerConfigJSON: gguf.chatTemplate.map(chatTemplateConfig), tokenizer: gguf.tokenizer)
        }
        if let tokenizer = checkpoint.tokenizer, tokenizer.vocabularySize > checkpoint.model.vocabularySize {
            throw PareError("\(url.path): its tokenizer has \(tokenizer.vocabularySize) tokens but the model's embedding has only \(checkpoint.model.vocabularySize) rows; the tokenizer belongs to another model.")
        }
        return checkpoint
    }

    /// Where the transformer checkpoint `url` names lives — a Hugging Face directory, a GGUF
    /// file, or the directory of a `model.safetensors` that has a config.json beside it and no
    /// MLP metadata — or nil when `url` is an MLP file.
    static func checkpoint(at url: URL) throws -> URL? {
        if HuggingFaceDirectory.isModelDirectory(url) || isGGUF(url) { return url }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PareError("\(url.path) is a folder without config.json; a model is a safetensors or GGUF file, or a Hugging Face model directory.")
        }
        let folder = url.deletingLastPathComponent()
        if HuggingFaceDirectory.isModelDirectory(folder), (try? SafetensorsFile.read(contentsOf: url))?.metadata?["arch"] == nil {
            return folder
        }
        return nil
    }

    /// A tokenizer_config.json holding only `template` as its `chat_template`.
    static func chatTemplateConfig(_ template: String) -> Data {
        (try? JSONSerialization.data(withJSONObject: ["chat_template": template], options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// The chat template of a recorded tokenizer_config.json: its `chat_template` string, or of a
    /// list of named templates (Hugging Face's other form) the one named "default".
    static func chatTemplate(tokenizerConfigJSON data: [UInt8]?) -> String? {
        guard let data, let object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else { return nil }
        if let template = object["chat_template"] as? String { return template }
        let named = object["chat_template"] as? [[String: Any]] ?? []
        return named.first { $0["name"] as? String == "default" }?["template"] as? String
    }

    /// Whether the file starts with GGUF's magic bytes.
    static func isGGUF(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    static func loaded(_ checkpoint: Checkpoint, name: String) -> ModelIO.Loaded {
        let model = Model(transformer: checkpoint.model)
        let tensors = storedTensors(checkpoint.model)
        var hasher = SHA256.Hasher()
        for (name, tensor) in tensors {
            hasher.update(Array("\(name)\u{0}\(tensor.encoding)\u{0}\(tensor.shape)\u{0}".utf8))
            hasher.update(tensor.payload)
        }
        var files = [(name: configFile, bytes: [UInt8](checkpoint.configJSON))]
        if let t = checkpoint.tokenizerJSON { files.append((tokenizerFile, [UInt8](t))) }
        if let t = checkpoint.tokenizerConfigJSON { files.append((tokenizerConfigFile, [UInt8](t))) }
        return ModelIO.Loaded(model: model, name: name, hash: hasher.finalizeHex(),
                              sizeBytes: tensors.reduce(0) { $0 + $1.tensor.payload.count },
                              files: files, tokenizer: checkpoint.tokenizer)
    }

    // MARK: The record's tensors

    /// Every tensor as stored: Linear weights in their encodings (biases F32), embeddings and
    /// norms F32, under Hugging Face names; a tied `lm_head` is not stored twice. A factored
    /// token embedding is stored exactly, as its two factors (encoding "lowrank").
    static func storedTensors(_ model: TransformerModel) -> [(name: String, tensor: EncodedTensor)] {
        let factored = model.tokenEmbeddingFactors
        var out = model.nonLinearTensors.map { entry in
            if let factored, entry.name == factored.name + ".weight" { return (name: entry.name, tensor: factored.factors.encoded()) }
            return (name: entry.name, tensor: dense(entry.tensor))
        }
        let tied = model.sharesEmbeddingWithLMHead
        for linear in model.linears where !(tied && linear.name == "lm_head") {
            out.append((linear.name + ".weight", linear.weight.encoded()))
            if let bias = linear.bias {
                out.append((linear.name + ".bias", dense(Tensor(shape: [bias.count], data: bias))))
            }
        }
        return out
    }

    static func dense(_ t: Tensor) -> EncodedTensor {
        EncodedTensor(encoding: DenseWeight.encodingName, shape: t.shape, payload: Bytes.of(t.data))
    }

    /// Rebuilds a recorded transformer from its base config and stored tensors: the
    /// architecture loads from dense copies (so every shape is checked as on first load), then
    /// each Linear gets its stored encoding back. A structurally pruned decoder loads with the
    /// sizes its tensors have (`DecoderConfigSizes`).
    static func rebuild(configJSON baseConfig: Data, tensors stored: [(name: String, tensor: EncodedTensor)], run id: Int64) throws -> Model {
        let configJSON = try DecoderConfigSizes.configJSON(
            baseConfig, fittingShapes: Dictionary(stored.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a }))
        var dense: [String: Tensor] = [:]
        var weights: [String: any LinearWeight] = [:]
        for (name, t) in stored {
            if t.encoding == DenseWeight.encodingName {
                guard t.payload.count == 4 * t.shape.reduce(1, *) else {
                    throw PareError("run \(id): tensor \(name) is stored with \(t.payload.count) bytes for shape \(t.shape).")
                }
                dense[name] = Tensor(shape: t.shape, data: Bytes.read(Float.self, from: t.payload, count: t.payload.count / 4))
            } else {
                let w = try WeightEncodings.decode(t)
                weights[name] = w
                dense[name] = w.decoded()
            }
        }
        var model = try TransformerRegistry.load(configJSON: configJSON,
                                                 tensors: DictionaryTensorProvider(dense, sourceDescription: "run \(id)"))
        // A factored token embedding gets its factors back (and a tied head with it).
        if case .decoder(var decoder) = model,
           let factors = weights[decoder.embedTokens.name + ".weight"] as? LowRankWeight {
            decoder.factorTokenEmbedding(factors)
            model = .decoder(decoder)
        }
        if !weights.isEmpty {
            model.mapLinears { linear in
                guard let w = weights[linear.name + ".weight"] else { return linear }
                return Linear(name: linear.name, weight: w, bias: linear.bias)
            }
        }
        return Model(transformer: model)
    }

    // MARK: Export

    /// Writes a Hugging Face directory: config.json, model.safetensors (every tensor F32 under
    /// its original name, pruned zeros kept; a low-rank layer as its two factors
    /// `NAME.0.weight` [k, in] and `NAME.1.weight` [out, k], listed in the metadata "lowrank"),
    /// and tokenizer.json. `directory` must be new or empty. A decoder's config.json says the
    /// model's own sizes (a structurally pruned one has fewer heads, channels or blocks than its
    /// base). A factored token embedding is written as its dense product A·B under
    /// `model.embed_tokens.weight` (a Hugging Face `nn.Embedding` has no factored form; a tied
    /// head then ties to it as before), with the metadata "lowrank_embedding" = "NAME:k" saying
    /// it came from rank-k factors.
    public static func exportDirectory(_ model: TransformerModel, files: [String: [UInt8]], to directory: String,
                                       protecting protected: [ProtectedPath]) throws {
        var files = files
        if case .decoder(let decoder) = model, let config = files[configFile] {
            files[configFile] = [UInt8](try DecoderConfigSizes.configJSON(Data(config), fitting: decoder.spec))
        }
        try prepareDirectory(directory, protecting: protected)
        var tensors: [(name: String, array: StoredArray)] = model.nonLinearTensors.map { ($0.name, StoredArray($0.tensor)) }
        var factored: [(layer: String, rank: Int)] = []
        let tied = model.sharesEmbeddingWithLMHead
        for linear in model.linears where !(tied && linear.name == "lm_head") {
            if let lowRank = linear.weight as? LowRankWeight {
                tensors += LowRankExport.tensors(layer: linear.name, weight: lowRank).map { ($0.name, StoredArray($0.tensor)) }
                factored.append((linear.name, lowRank.rank))
                if let bias = linear.bias {
                    tensors.append((LowRankExport.tensorNames(layer: linear.name).bias, StoredArray(Tensor(shape: [bias.count], data: bias))))
                }
                continue
            }
            tensors.append((linear.name + ".weight", StoredArray(linear.weight.decoded())))
            if let bias = linear.bias { tensors.append((linear.name + ".bias", StoredArray(Tensor(shape: [bias.count], data: bias)))) }
        }
        var metadata = ["format": "pt", "written_by": "pare"]
        metadata.merge(LowRankExport.metadata(factored)) { a, _ in a }
        if let (name, factors) = model.tokenEmbeddingFactors { metadata["lowrank_embedding"] = "\(name):\(factors.rank)" }
        let url = URL(fileURLWithPath: directory)
        try SafetensorsFile(tensors: tensors, metadata: metadata)
            .write(to: url.appendingPathComponent("model.safetensors"), protecting: protected)
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) {
            try OutputFile.write(bytes, to: url.appendingPathComponent(name).path, protecting: protected)
        }
    }

    /// A new directory, or an existing empty one: an export never mixes its files with others.
    static func prepareDirectory(_ path: String, protecting protected: [ProtectedPath]) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PareError("cannot write the model directory \(path): a file of that name exists; a transformer is exported as a directory, so choose a new path.")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard entries.isEmpty else {
                throw PareError("cannot write the model directory \(path): it is not empty; choose a new or empty directory.")
            }
            return
        }
        for p in protected where OutputFile.canonicalPath(p.path) == OutputFile.canonicalPath(path) {
            throw PareError("cannot write \(path): it is \(p.role) (\(p.path)); choose another output path.")
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) } catch {
            throw PareError("cannot create the model directory \(path): \(OutputFile.describe(error)).")
        }
    }
}

extension TransformerModel {
    /// Rows of the token embedding.
    public var vocabularySize: Int {
        switch self {
        case .decoder(let m): m.spec.vocabSize
        case .encoder(let m): m.config.vocabSize
        }
    }
}
