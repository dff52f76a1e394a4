import Foundation
import PareNN
import PareTensor

/// A recorded decoder written as a GGUF file llama.cpp runs: the hyper-parameters under
/// `<arch>.` as convert_hf_to_gguf.py writes them (a structurally pruned model with its own
/// sizes; `attention.key_length` when heads were removed, since embedding_length / head_count
/// is then no longer the head size), `general.file_type`, `tokenizer.ggml.*` and the base's
/// `tokenizer.chat_template` when it had one, Pare's `pare.run_id`, `pare.method` and
/// `pare.config`, and the tensors under llama.cpp's names, Llama's q/k rows in its RoPE order.
public enum GGUFExport {
    /// Which run the file comes from, for its `pare.*` metadata.
    public struct Run: Sendable {
        public var id: Int64
        public var name: String
        public var method: String
        /// The run's canonical config JSON.
        public var configJSON: String
        public init(id: Int64, name: String, method: String, configJSON: String) {
            self.id = id; self.name = name; self.method = method; self.configJSON = configJSON
        }
    }

    /// The file's contents and one line per group of tensors saying how they were encoded.
    public struct Result {
        public var writer: GGUFWriter
        public var report: [String]
    }

    /// Builds the file for `model` (with the run's recorded `files`: tokenizer.json, config.json).
    /// `type` nil: the exact ggml encoding where one holds the stored codes, else F16.
    public static func build(_ model: TransformerModel, files: [String: [UInt8]], run: Run, type: GGUFExportType?,
                             progress: ((Double) -> Void)? = nil) throws -> Result {
        guard case .decoder(let decoder) = model else {
            throw PareError("run \(run.id) is a BERT-style encoder; GGUF export covers decoders (llama, mistral, qwen2) only, so export it as a Hugging Face directory (--out DIR/).")
        }
        let spec = decoder.spec
        let arch = spec.modelType == "qwen2" ? "qwen2" : "llama"   // Mistral runs as llama in llama.cpp, as its converter writes it
        guard spec.activation == .silu, !spec.outputBias else {
            throw PareError("run \(run.id)'s decoder has \(spec.outputBias ? "an output-projection bias" : "a \(spec.activation) MLP"), which llama.cpp's \(arch) architecture does not have.")
        }
        guard let tokenizer = files[TransformerIO.tokenizerFile] else {
            throw PareError("run \(run.id)'s base model has no recorded tokenizer.json; a GGUF file needs its tokenizer.")
        }

        var metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(arch)),
            ("general.name", .string(run.name)),
            ("general.alignment", .uint32(UInt32(GGUFFile.defaultAlignment))),
        ]
        metadata += hyperParameters(spec, arch: arch)
        metadata += try GGUFTokenizerExport.metadata(tokenizerJSON: Data(tokenizer), configJSON: files[TransformerIO.configFile].map { Data($0) },
                                                     embeddingRows: spec.vocabSize)
        if let template = TransformerIO.chatTemplate(tokenizerConfigJSON: files[TransformerIO.tokenizerConfigFile]) {
            metadata.append(("tokenizer.chat_template", .string(template)))
        }
        metadata += [("pare.run_id", .int64(run.id)), ("pare.method", .string(run.method)), ("pare.config", .string(run.configJSON))]

        var encoder = GGUFTensorEncoder(requested: type?.ggml)
        var tensors: [GGUFEncodedTensor] = []
        let ropeOrder = arch == "llama"
        func ggufName(_ hf: String) throws -> String {
            guard let name = GGUFTensorNames.gguf(forHuggingFace: hf) else {
                throw PareError("run \(run.id) has tensor \(hf), which llama.cpp's \(arch) layout has no name for.")
            }
            return name
        }
        func ropeHeads(_ hf: String) -> Int? {
            guard ropeOrder else { return nil }
            if hf.contains("self_attn.q_proj.") { return spec.heads }
            if hf.contains("self_attn.k_proj.") { return spec.kvHeads }
            return nil
        }
        let linears = model.sharesEmbeddingWithLMHead ? decoder.linears.filter { $0.name != decoder.lmHead.name } : decoder.linears
        let total = Double(model.nonLinearTensors.count + linears.count)
        for (name, t) in model.nonLinearTensors {
            let gguf = try ggufName(name)
            if t.rank == 1 {
                tensors.append(encoder.vector(gguf, t.data, ropeHeads: nil))
            } else {
                tensors.append(try encoder.table(gguf, t))
            }
            progress?(Double(tensors.count) / total)
        }
        for linear in linears {
            tensors.append(try encoder.matrix(try ggufName(linear.name + ".weight"), linear.weight, ropeHeads: ropeHeads(linear.name + ".")))
            if let bias = linear.bias {
                tensors.append(encoder.vector(try ggufName(linear.name + ".bias"), bias, ropeHeads: ropeHeads(linear.name + ".")))
            }
            progress?(Double(tensors.count) / total)
        }
        metadata.insert(("general.file_type", .uint32(fileType(tensors.map(\.data)))), at: 3)
        return Result(writer: GGUFWriter(metadata: metadata, tensors: tensors.map(\.data)),
                      report: report(tensors.map(\.note), roundedGroups: encoder.roundedGroups, largestChange: encoder.largestScaleChange))
    }

    /// Builds and writes the file (to a temporary file renamed over `path`), returning the report.
    public static func write(_ model: TransformerModel, files: [String: [UInt8]], run: Run, type: GGUFExportType?,
                             to path: String, protecting protected: [ProtectedPath]) throws -> [String] {
        try OutputFile.check(path, protecting: protected)
        let bar = ProgressBar(label: "export")
        let result = try build(model, files: files, run: run, type: type) { bar.update($0, "") }
        try OutputFile.write(to: path, protecting: protected) { try result.writer.write(to: $0) }
        bar.finish()
        return result.report
    }

    /// `general.file_type`: llama.cpp's `llama_ftype` for the type most matrices have ("mostly
    /// Q4_0": norms stay F32, the embedding or a row that blocks do not divide may differ), counted
    /// by tensors as llama.cpp guesses it for a file without the key; all-F32 is 0.
    static func fileType(_ tensors: [GGUFTensorData]) -> UInt32 {
        var count: [GGMLType: Int] = [:]
        for t in tensors where t.dimensions.count > 1 { count[t.type, default: 0] += 1 }
        guard let main = count.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue > $1.key.rawValue) })?.key
        else { return 0 }
        return switch main {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q4_K: 14   // LLAMA_FTYPE_MOSTLY_Q4_K_S: every matrix Q4_K (the _M mix gives some Q6_K)
        case .q6_K: 18
        case .bf16: 32
        default: 1
        }
    }

    /// The `<arch>.*` keys llama.cpp's loader reads (names as in its LLM_KV table).
    static func hyperParameters(_ s: DecoderSpec, arch: String) -> [(key: String, value: GGUFValue)] {
        var out: [(key: String, value: GGUFValue)] = [
            ("\(arch).vocab_size", .uint32(UInt32(s.vocabSize))),
            ("\(arch).context_length", .uint32(UInt32(s.maxPositions))),
            ("\(arch).embedding_length", .uint32(UInt32(s.hiddenSize))),
            ("\(arch).block_count", .uint32(UInt32(s.layers))),
            ("\(arch).feed_forward_length", .uint32(UInt32(s.intermediateSize))),
            ("\(arch).attention.head_count", .uint32(UInt32(s.heads))),
            ("\(arch).attention.head_count_kv", .uint32(UInt32(s.kvHeads))),
            ("\(arch).rope.freq_base", .float32(Float(s.ropeTheta))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(s.normEps)),
            ("\(arch).rope.dimension_count", .uint32(UInt32(s.headDim))),
        ]
        if s.heads * s.headDim != s.hiddenSize {
            out += [("\(arch).attention.key_length", .uint32(UInt32(s.headDim))),
                    ("\(arch).attention.value_length", .uint32(UInt32(s.headDim)))]
        }
        return out
    }

    /// One line per (stored encoding, GGUF type, what was done), with its tensor count.
    static func report(_ notes: [GGUFExportNote], roundedGroups: Int, largestChange: Float) -> [String] {
        var counts: [GGUFExportNote: Int] = [:], order: [GGUFExportNote] = []
        for n in notes {
            if counts[n] == nil { order.append(n) }
            counts[n, default: 0] += 1
        }
        return order.map { n in
            let c = counts[n]!, tensors = c == 1 ? "1 tensor" : "\(c) tensors"
            switch n.how {
            case .exact: return "\(tensors) \(n.from) → \(n.to.name): codes and scales copied, bit-exact"
            case .roundedScales:
                return "\(tensors) \(n.from) → \(n.to.name): codes copied; \(roundedGroups) scales not exactly fp16 rounded to it (largest relative change \(String(format: "%.2g", largestChange)))"
            case .reencoded: return "\(tensors) \(n.from) → \(n.to.name): re-encoded (decoded to F32, then ggml's reference quantizer)"
            case .asIs: return "\(tensors) \(n.from) → \(n.to.name): as stored"
            }
        }
    }
}
