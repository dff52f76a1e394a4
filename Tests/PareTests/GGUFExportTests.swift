import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
import PareTestSupport
@testable import Pare

/// Recorded runs of the tiny decoders → GGUF → loaded back by Pare (`record --model F.gguf
/// --method none`): the same perplexity (exact to float noise for F32 and the bit-exact
/// blocks, within the encoding's error for F16 and re-encoded blocks), the tensor types and
/// names llama.cpp expects, and the codes of a group-32 run copied unchanged.
@Suite struct GGUFExportTests {
    let folder = Fixtures.scratch("gguf-export")

    func store() throws -> Store { try Store(path: folder.appending(path: "pare-\(UUID().uuidString).sqlite").path, create: true) }

    func request(_ model: String, _ method: String, _ settings: [String: String] = [:], calibrate: Bool = false) throws -> RecordRequest {
        let text = try TinyTransformers.text(in: folder).path
        return RecordRequest(modelPath: model, testPath: "text:\(text),tokens=200,context=40",
                             calibrationPath: calibrate ? "text:\(text),samples=4,context=24" : nil,
                             method: method, settings: settings, measureSpeed: false)
    }

    /// The layers whose 32 inputs split into whole blocks of 32 (down_proj has 48).
    static let blockLayers = "model.layers.*.self_attn.*,model.layers.*.mlp.gate_proj,model.layers.*.mlp.up_proj"

    func export(_ run: Int64, _ store: Store, type: GGUFExportType?) throws -> (path: String, report: [String]) {
        let (model, files) = try StoredModel.loadTransformer(run: run, from: store)
        let path = folder.appending(path: "run\(run)-\(type?.rawValue ?? "auto")-\(UUID().uuidString).gguf").path
        let report = try GGUFExport.write(model.transformer!, files: files, run: GGUFExport.Run(id: run, name: "r\(run)", method: "m", configJSON: "{}"),
                                          type: type, to: path, protecting: [])
        return (path, report)
    }

    func perplexity(_ run: Int64, _ store: Store) throws -> Double { try store.finalMetrics(run: run)["perplexity"]! }

    /// Records the exported file as a new base model and returns its perplexity.
    func reloadedPerplexity(_ path: String, _ store: Store) throws -> Double {
        try perplexity(try Recorder.record(try Recorder.prepare(try request(path, "none")), store: store), store)
    }

    @Test func int8Group32BecomesQ8_0WithItsCodesAndReloadsToTheSamePerplexity() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString), tied: false).path
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(model, "quant-weight",
            ["bits": "8", "granularity": "group", "group_size": "32", "layers": Self.blockLayers])), store: store)
        let (path, report) = try export(run, store, type: nil)
        let file = try GGUFFile.open(URL(fileURLWithPath: path))
        let types = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.type) })
        #expect(types["blk.0.attn_q.weight"] == .q8_0 && types["blk.1.ffn_up.weight"] == .q8_0)
        #expect(types["blk.0.ffn_down.weight"] == .f16 && types["token_embd.weight"] == .f16 && types["output.weight"] == .f16)
        #expect(types["blk.0.attn_norm.weight"] == .f32 && types["output_norm.weight"] == .f32)
        #expect(file.tensors.count == 1 + 2 * 9 + 2)
        #expect(file.int("general.file_type") == 7)   // LLAMA_FTYPE_MOSTLY_Q8_0: 12 of the 16 matrices
        #expect(report.contains { $0.hasPrefix("12 tensors int8 symmetric group32 → Q8_0: codes copied") })
        #expect(report.contains { $0.hasPrefix("4 tensors F32 → F16: re-encoded") })

        // v_proj is not permuted: its blocks are the stored codes, the scales as fp16.
        let (stored, _) = try StoredModel.loadTransformer(run: run, from: store)
        let v = try #require(stored.transformer!.linears.first { $0.name == "model.layers.0.self_attn.v_proj" }?.weight as? QuantizedWeight)
        let raw = try file.rawBytes(named: "blk.0.attn_v.weight")
        let codes = v.codes
        for g in 0..<v.params.groupCount {
            let block = raw[(g * 34)..<(g * 34 + 34)]
            #expect(Array(block.dropFirst(2)).map { Int32(Int8(bitPattern: $0)) } == Array(codes[(g * 32)..<(g * 32 + 32)]))
            #expect(UInt16(block[block.startIndex]) | UInt16(block[block.startIndex + 1]) << 8 == HalfPrecision.f16Bits(v.params.scales[g]))
        }
        // Q8_0's only change is the scales' fp16 rounding (≤ 2⁻¹¹ relative), so the perplexity moves by far less than 1 %.
        let reloaded = try reloadedPerplexity(path, store)
        #expect(abs(reloaded - (try perplexity(run, store))) / (try perplexity(run, store)) < 2e-3)
    }

    @Test func fp16ExactScalesMakeTheQ8_0AndQ4_0ExportBitExact() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let store = try store()
        for bits in ["8", "4"] {
            let run = try Recorder.record(try Recorder.prepare(try request(model, "quant-weight",
                ["bits": bits, "granularity": "group", "group_size": "32", "layers": Self.blockLayers])), store: store)
            // The same codes with every scale an fp16 value: the GGUF must decode to these weights exactly.
            var (loaded, files) = try StoredModel.loadTransformer(run: run, from: store)
            var transformer = loaded.transformer!
            transformer.mapLinears { linear in
                guard let q = linear.weight as? QuantizedWeight else { return linear }
                var p = q.params
                p.scales = p.scales.map { HalfPrecision.float(f16: HalfPrecision.f16Bits($0)) }
                return Linear(name: linear.name, weight: QuantizedWeight(codes: q.codes, params: p), bias: linear.bias)
            }
            loaded = Model(transformer: transformer)
            let path = folder.appending(path: "exact\(bits)-\(UUID().uuidString).gguf").path
            let report = try GGUFExport.write(transformer, files: files, run: GGUFExport.Run(id: run, name: "x", method: "quant-weight", configJSON: "{}"),
                                              type: nil, to: path, protecting: [])
            #expect(report.contains { $0.contains("codes and scales copied, bit-exact") })
            let back = try GGUFCheckpoint.load(contentsOf: URL(fileURLWithPath: path)).model
            let quantized = transformer.linears.filter { $0.weight is QuantizedWeight }
            #expect(quantized.count == 12)
            let expected = Dictionary(uniqueKeysWithValues: quantized.map { ($0.name, $0.weight.decoded().data) })
            for linear in back.linears where expected[linear.name] != nil {
                #expect(linear.weight.decoded().data == expected[linear.name]!, "\(linear.name) at \(bits) bits")
            }
            _ = files
        }
    }

    @Test func int4AffineBecomesQ4_1AndEveryTypeReloads() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(model, "quant-weight",
            ["bits": "4", "scheme": "affine", "granularity": "group", "group_size": "32", "layers": Self.blockLayers])), store: store)
        let recorded: Double = try perplexity(run, store)
        let (auto, _) = try export(run, store, type: nil)
        let file = try GGUFFile.open(URL(fileURLWithPath: auto))
        #expect(file.architecture == "llama" && file.tensorInfo(named: "blk.0.attn_q.weight")?.type == .q4_1)
        let autoPerplexity: Double = try reloadedPerplexity(auto, store)
        #expect(abs(autoPerplexity - recorded) / recorded < 5e-3)
        // F32 holds the decoded weights exactly: the same perplexity up to summation order.
        let (f32, _) = try export(run, store, type: .f32)
        let f32Perplexity: Double = try reloadedPerplexity(f32, store)
        #expect(abs(f32Perplexity - recorded) / recorded < 1e-5)
        // Every other type re-encodes and reloads; the coarser the type, the looser the match.
        let limits: [(GGUFExportType, Double)] = [(.f16, 5e-3), (.bf16, 2e-2), (.q8_0, 2e-2), (.q5_0, 0.1), (.q5_1, 0.1),
                                                  (.q4_0, 0.2), (.q4_1, 0.2), (.q4_k, 0.2), (.q6_k, 0.1)]
        for (exportType, limit) in limits {
            let (path, report) = try export(run, store, type: exportType)
            #expect(!report.isEmpty)
            let reloaded: Double = try reloadedPerplexity(path, store)
            #expect(abs(reloaded - recorded) / recorded < limit, "\(exportType): \(reloaded) vs \(recorded)")
        }
    }

    /// A model read from llama.cpp-converted GGUF files (the committed fixtures) and exported as
    /// F32 gives back every tensor byte for byte: the names, the q/k row order (Llama permuted,
    /// Qwen2 not) and Qwen2's biases are llama.cpp's own.
    @Test(arguments: ["llama_tiny_untied", "llama_tiny_tied", "qwen2_tiny"])
    func aGGUFModelExportsToItsOwnTensors(_ name: String) throws {
        let url = Fixtures.folder.appending(path: "gguf/\(name).gguf")
        let original = try GGUFFile.open(url)
        // (GGUFCheckpoint, not loadCheckpoint: these fixtures' token list is longer than their 64-row embedding.)
        let checkpoint = try GGUFCheckpoint.load(original)
        let files = [TransformerIO.tokenizerFile: [UInt8](checkpoint.tokenizerJSON), TransformerIO.configFile: [UInt8](checkpoint.configJSON)]
        let result = try GGUFExport.build(checkpoint.model, files: files, run: GGUFExport.Run(id: 7, name: name, method: "none", configJSON: "{}"), type: .f32)
        let exported = try GGUFFile.parse(bytes: try result.writer.bytes())
        #expect(Set(exported.tensors.map(\.name)) == Set(original.tensors.map(\.name)))
        for info in original.tensors {
            #expect(try exported.rawBytes(named: info.name) == (try original.rawBytes(named: info.name)), "\(name): \(info.name)")
            #expect(exported.tensorInfo(named: info.name)?.dimensions == info.dimensions)
        }
        for key in ["block_count", "embedding_length", "feed_forward_length", "attention.head_count", "attention.head_count_kv", "context_length"] {
            let arch = original.architecture!
            #expect(exported.int("\(arch).\(key)") == original.int("\(arch).\(key)"), "\(name): \(key)")
        }
        #expect(exported.float("\(original.architecture!).rope.freq_base") == original.float("\(original.architecture!).rope.freq_base"))
        #expect(exported.stringArray("tokenizer.ggml.tokens") == original.stringArray("tokenizer.ggml.tokens"))
        #expect(exported.stringArray("tokenizer.ggml.merges") == original.stringArray("tokenizer.ggml.merges"))
        #expect(exported.intArray("tokenizer.ggml.token_type") == original.intArray("tokenizer.ggml.token_type"))
        #expect(exported.string("tokenizer.ggml.pre") == original.string("tokenizer.ggml.pre"))
        #expect(exported.bool("tokenizer.ggml.add_bos_token") == original.bool("tokenizer.ggml.add_bos_token"))
    }

    @Test func aHeadPrunedDecoderExportsItsNewSizes() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(model, "prune-structured", ["target": "heads", "amount": "0.5"], calibrate: true)), store: store)
        let (path, _) = try export(run, store, type: .f32)
        let file = try GGUFFile.open(URL(fileURLWithPath: path))
        #expect(file.int("llama.attention.head_count") == 2 && file.int("llama.attention.head_count_kv") == 1)
        #expect(file.int("llama.attention.key_length") == 8 && file.int("llama.embedding_length") == 32)
        #expect(file.int("llama.rope.dimension_count") == 8 && file.int("llama.block_count") == 2)
        #expect(file.int("pare.run_id") == Int(run) && file.string("general.architecture") == "llama")
        let recorded = try perplexity(run, store)
        #expect(abs(try reloadedPerplexity(path, store) - recorded) / recorded < 1e-5)
    }

    @Test func theTokenizerMetadataTokenizesAsTheRecordedTokenizer() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString))
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(model.path, "none")), store: store)
        let (path, _) = try export(run, store, type: .f16)
        let file = try GGUFFile.open(URL(fileURLWithPath: path))
        let original = try TokenizerLoader.load(directory: model)
        let exported = try TokenizerLoader.load(gguf: GGUFTokenizerMetadata(file: file))
        let text = try String(contentsOf: try TinyTransformers.text(in: folder), encoding: .utf8)
        #expect(exported.encode(text, addSpecialTokens: true, maxLength: nil) == original.encode(text, addSpecialTokens: true, maxLength: nil))
        #expect(file.stringArray("tokenizer.ggml.tokens")?.count == 540 && file.string("tokenizer.ggml.model") == "gpt2")
    }

    /// `general.file_type` says the type most matrices have, with llama.cpp's numbers.
    @Test func theFileTypeIsLlamaCppsNumberForTheMatrices() throws {
        let model = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString)).path
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(model, "none")), store: store)
        for (type, number) in [(GGUFExportType.f32, 0), (.f16, 1), (.q4_0, 2), (.q4_1, 3), (.q8_0, 7), (.bf16, 32)] {
            let file = try GGUFFile.open(URL(fileURLWithPath: try export(run, store, type: type).path))
            #expect(file.int("general.file_type") == number, "\(type)")
        }
    }

    /// A base model's chat template (tokenizer_config.json's `chat_template`) is recorded with
    /// it and written as `tokenizer.chat_template`; a GGUF base's template goes round again.
    @Test func theChatTemplateTravelsFromTheBaseToTheExportAndBack() throws {
        let directory = try TinyTransformers.llama(in: folder.appending(path: UUID().uuidString))
        let template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        let config = try JSONSerialization.data(withJSONObject: ["chat_template": template, "model_max_length": 2048])
        try config.write(to: directory.appending(path: "tokenizer_config.json"))
        let store = try store()
        let run = try Recorder.record(try Recorder.prepare(try request(directory.path, "none")), store: store)
        let (path, _) = try export(run, store, type: .f16)
        #expect(try GGUFFile.open(URL(fileURLWithPath: path)).string("tokenizer.chat_template") == template)

        let again = try Recorder.record(try Recorder.prepare(try request(path, "none")), store: store)
        let (second, _) = try export(again, store, type: .f16)
        #expect(try GGUFFile.open(URL(fileURLWithPath: second)).string("tokenizer.chat_template") == template)
        // The list form Hugging Face also writes: the template named "default".
        let list = try JSONSerialization.data(withJSONObject: ["chat_template": [["name": "tool_use", "template": "x"],
                                                                                ["name": "default", "template": template]]])
        #expect(TransformerIO.chatTemplate(tokenizerConfigJSON: [UInt8](list)) == template)
        #expect(TransformerIO.chatTemplate(tokenizerConfigJSON: [UInt8]("not json".utf8)) == nil)
    }

    @Test func anEncoderIsRefusedInOneSentence() throws {
        let bert = try TransformerIO.loadCheckpoint(try TinyTransformers.bert(in: folder.appending(path: UUID().uuidString)))
        let files = [TransformerIO.tokenizerFile: [UInt8](bert.tokenizerJSON ?? Data())]
        #expect { _ = try GGUFExport.build(bert.model, files: files, run: GGUFExport.Run(id: 1, name: "b", method: "none", configJSON: "{}"), type: nil) }
            throws: { "\($0)".contains("BERT-style encoder") }
    }
}
