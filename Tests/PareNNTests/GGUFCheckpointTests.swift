import Foundation
import Testing
import PareTensor
@testable import PareNN

/// GGUF checkpoints as transformers: the tiny fixtures of scripts/fixtures/make_gguf_checkpoint_fixtures.py
/// (the HF fixtures renamed and Q/K-permuted as llama.cpp's converter does) must give the HF
/// fixtures' numpy reference logits; the real SmolLM2 GGUF MODELS.md's values.
@Suite struct GGUFCheckpointTests {
    static func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("gguf/\(name).gguf")))
    }

    static func load(_ name: String) throws -> GGUFCheckpoint.Loaded {
        try GGUFCheckpoint.load(GGUFFile.open(Fixtures.url("gguf/\(name).gguf")))
    }

    static func decoder(_ loaded: GGUFCheckpoint.Loaded) throws -> CausalDecoder {
        guard case .decoder(let m) = loaded.model else { throw TransformerError.emptyInput("not a decoder") }
        return m
    }

    // MARK: (a) the tiny fixtures

    @Test(arguments: ["llama_tiny_tied", "llama_tiny_untied", "qwen2_tiny"])
    func logitsMatchTheHuggingFaceReference(_ name: String) throws {
        let loaded = try Self.load(name)
        let model = try Self.decoder(loaded)
        let hf = try TransformerFixtures.decoder(name)
        #expect(model.spec == hf.spec)
        #expect(model.lmHeadIsTied == hf.lmHeadIsTied)
        let ref = try TransformerFixtures.reference(name)
        for s in 0..<3 {
            let tokens = try TransformerFixtures.tokens(ref, "tokens.\(s)")
            expectClose(try model.logits(tokens: tokens), try ref.tensor("logits.\(s)"), "\(name) from GGUF, sequence \(s)")
        }
    }

    @Test func configJSONIsTheHuggingFaceConfig() throws {
        let loaded = try Self.load("llama_tiny_tied")
        let json = try #require(try JSONSerialization.jsonObject(with: loaded.configJSON) as? [String: Any])
        #expect(json["architectures"] as? [String] == ["LlamaForCausalLM"])
        #expect(json["model_type"] as? String == "llama" && json["torch_dtype"] as? String == "float32")
        #expect(json["bos_token_id"] as? Int == 1 && json["eos_token_id"] as? Int == 2)
        #expect(json["tie_word_embeddings"] as? Bool == true && json["head_dim"] as? Int == 8)
        #expect(json["num_key_value_heads"] as? Int == 2 && json["max_position_embeddings"] as? Int == 128)
        // float32 values as their shortest text, as HF's own config.json shows them.
        let text = String(decoding: loaded.configJSON, as: UTF8.self)
        #expect(text.contains(#""rms_norm_eps": 1e-05"#) && text.contains(#""rope_theta": 100000.0"#))
        // The fixture's own config.json decodes to the same LlamaConfig.
        let hfConfig = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf:
            TransformerFixtures.directory("llama_tiny_tied").appendingPathComponent("config.json")))
        #expect(try JSONDecoder().decode(LlamaConfig.self, from: loaded.configJSON) == hfConfig)
        #expect(loaded.config == hfConfig)
        let qwen = try Self.load("qwen2_tiny")
        #expect(String(decoding: qwen.configJSON, as: UTF8.self).contains(#""Qwen2ForCausalLM""#))
    }

    /// A hand case of the index rule (GGUF row h·D + 2i + j is HF row h·D + j·D/2 + i): one head
    /// of 4 rows, HF rows (0, 1, 2, 3) are GGUF rows (0, 2, 1, 3).
    @Test func unpermuteIsTheInverseOfLlamaCppsPermute() {
        let g = Tensor(shape: [4, 2], data: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5])
        #expect(GGUFRoPELayout.unpermute(g, heads: 1).data == [0, 0.5, 2, 2.5, 1, 1.5, 3, 3.5])
        // Two heads of 4, as a bias (1-D): each head on its own.
        let b = Tensor(shape: [8], data: (0..<8).map(Float.init))
        #expect(GGUFRoPELayout.unpermute(b, heads: 2).data == [0, 2, 1, 3, 4, 6, 5, 7])
        let w = Tensor(shape: [12, 3], data: (0..<36).map(Float.init))
        #expect(GGUFRoPELayout.permute(GGUFRoPELayout.unpermute(w, heads: 2), heads: 2) == w)
    }

    @Test func tensorNamesMapBothWays() {
        let pairs = [("model.embed_tokens.weight", "token_embd.weight"), ("model.norm.weight", "output_norm.weight"),
                     ("lm_head.weight", "output.weight"), ("model.layers.12.input_layernorm.weight", "blk.12.attn_norm.weight"),
                     ("model.layers.0.self_attn.q_proj.bias", "blk.0.attn_q.bias"),
                     ("model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"),
                     ("model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight"),
                     ("model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight")]
        for (hf, gguf) in pairs {
            #expect(GGUFTensorNames.gguf(forHuggingFace: hf) == gguf)
            #expect(GGUFTensorNames.huggingFace(forGGUF: gguf) == hf)
        }
        #expect(GGUFTensorNames.gguf(forHuggingFace: "model.layers.x.mlp.up_proj.weight") == nil)
        #expect(GGUFTensorNames.huggingFace(forGGUF: "rope_freqs.weight") == nil)
    }

    // MARK: the tokenizer

    static let texts: [String] = {
        var t = (try? TokenizerFixtures.bpeCases("smollm").map(\.text)) ?? []
        t += ["<|im_start|>user\nHi<|user|>there<|im_end|>", "  \t\n\n   spaces ", "1234567 and ٣٤٥", "naïve 日本 😀", ""]
        return t
    }()

    static func expectSameIDs(_ a: any Tokenizer, _ b: any Tokenizer, _ what: String) {
        #expect(a.vocabularySize == b.vocabularySize, "\(what): vocabulary sizes")
        for text in texts {
            for special in [true, false] {
                let x = a.encode(text, addSpecialTokens: special, maxLength: nil)
                let y = b.encode(text, addSpecialTokens: special, maxLength: nil)
                #expect(x == y, "\(what): \(text.debugDescription) special=\(special)")
            }
            let ids = a.encode(text)
            #expect(a.decode(ids) == b.decode(ids), "\(what): decoding \(text.debugDescription)")
            #expect(a.decode(ids, skipSpecialTokens: true) == b.decode(ids, skipSpecialTokens: true))
        }
    }

    @Test func tokenizerJSONGivesTheGGUFTokenizersIDs() throws {
        let loaded = try Self.load("llama_tiny_tied")
        let fromJSON = try TokenizerLoader.load(tokenizerJSON: loaded.tokenizerJSON, source: "written tokenizer.json")
        #expect(Self.texts.count > 20)
        Self.expectSameIDs(loaded.tokenizer, fromJSON, "smollm, add_bos")
        #expect(loaded.tokenizer.encode("Hello").first == 1 && fromJSON.template.prefix == [1])
        let t = loaded.tokenizer
        #expect(t.encode("a<|user|>b", addSpecialTokens: false, maxLength: nil) == [t.id(for: "a")!, 534, t.id(for: "b")!])

        // The other pipelines and templates, from the same vocabulary.
        let file = try GGUFFile.open(Fixtures.url("gguf/llama_tiny_tied.gguf"))
        let base = try GGUFTokenizerMetadata(file: file)
        for (pre, bos, eos) in [("gpt2", false, false), ("llama-bpe", true, true), ("default", false, true)] {
            var m = base
            m.pre = pre; m.addBOS = bos; m.addEOS = eos
            let gguf = try TokenizerLoader.load(gguf: m)
            let json = try TokenizerLoader.load(tokenizerJSON: try TokenizerJSONWriter.tokenizerJSON(gguf: m), source: "written")
            #expect(json.template == gguf.template)
            Self.expectSameIDs(gguf, json, "\(pre) bos=\(bos) eos=\(eos)")
        }
    }

    @Test func sentencePieceTokenizersAreRefusedClearly() throws {
        var m = try GGUFTokenizerMetadata(file: GGUFFile.open(Fixtures.url("gguf/llama_tiny_tied.gguf")))
        m.model = "llama"
        let error = #expect(throws: TokenizerError.self) { try TokenizerJSONWriter.tokenizerJSON(gguf: m, source: "x.gguf") }
        guard case .unsupportedComponent("x.gguf", "GGUF tokenizer", let detail)? = error else {
            Issue.record("unexpected error \(String(describing: error))"); return
        }
        #expect(detail.contains("SentencePiece") && detail.contains("not supported yet"))
    }

    // MARK: (b) errors

    /// The fixture with one byte string replaced by another of the same length (a key renamed,
    /// a value changed), so the header stays valid.
    static func patched(_ name: String, _ old: String, _ new: String) throws -> GGUFFile {
        try patched(name, Array(old.utf8), Array(new.utf8))
    }

    static func patched(_ name: String, _ old: [UInt8], _ new: [UInt8]) throws -> GGUFFile {
        precondition(old.count == new.count)
        var bytes = try fixtureBytes(name)
        let at = try #require((0...(bytes.count - old.count)).first { bytes[$0..<$0 + old.count].elementsEqual(old) },
                              "fixture lacks the bytes to patch")
        bytes.replaceSubrange(at..<at + old.count, with: new)
        return try GGUFFile.parse(bytes: bytes, source: "patched.gguf")
    }

    @Test func unknownArchitectureNamesTheKnownOnes() throws {
        let file = try Self.patched("llama_tiny_tied", "\u{5}\0\0\0\0\0\0\0llama", "\u{5}\0\0\0\0\0\0\0gemma")
        #expect(throws: TransformerError.unknownModelType("gemma", known: ["llama", "qwen2"])) {
            try GGUFCheckpoint.load(file)
        }
    }

    @Test func missingHyperParameterNamesTheKey() throws {
        let file = try Self.patched("llama_tiny_tied", "llama.block_count", "llama.block_cnnnt")
        #expect(throws: TransformerError.badConfig(source: "patched.gguf",
                                                   reason: "it has no metadata key 'llama.block_count' (the number of layers), which a llama GGUF needs")) {
            try GGUFCheckpoint.load(file)
        }
    }

    @Test func missingTensorNamesTheGGUFName() throws {
        let file = try Self.patched("llama_tiny_tied", "blk.1.ffn_up.weight", "blk.1.ffn_uq.weight")
        #expect(throws: TransformerError.missingTensor(name: "blk.1.ffn_up.weight", source: "patched.gguf")) {
            try GGUFCheckpoint.load(file)
        }
    }

    @Test func headCountThatDisagreesWithTheTensorsIsAShapeError() throws {
        // head_count_kv (uint32 2) → 1: K has 2 heads of 8 rows, the metadata now says 1.
        let key = Array("llama.attention.head_count_kv".utf8)
        let file = try Self.patched("llama_tiny_tied", key + [4, 0, 0, 0, 2, 0, 0, 0], key + [4, 0, 0, 0, 1, 0, 0, 0])
        #expect(throws: TransformerError.wrongShape(name: "blk.0.attn_k.weight", expected: [8, 32], found: [16, 32],
                                                    source: "patched.gguf")) {
            try GGUFCheckpoint.load(file)
        }
        // head_count 4 → 8 with key_length 8: Q's 32 rows are not 8 heads of 8.
        let q = Array("llama.attention.head_count".utf8)
        let wide = try Self.patched("llama_tiny_untied", q + [4, 0, 0, 0, 4, 0, 0, 0], q + [4, 0, 0, 0, 8, 0, 0, 0])
        #expect(throws: TransformerError.wrongShape(name: "blk.0.attn_q.weight", expected: [64, 32], found: [32, 32],
                                                    source: "patched.gguf")) {
            try GGUFCheckpoint.load(wide)
        }
    }

    // MARK: (c) the real SmolLM2 GGUF

    static let smolGGUF = RealModels.cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    static var hasSmolGGUF: Bool { FileManager.default.fileExists(atPath: smolGGUF.path) }

    @Test(.enabled(if: hasSmolGGUF, "SmolLM2-135M-Instruct.Q4_1.gguf is not in the cache"))
    func smolLM2FromGGUF() throws {
        let loaded = try GGUFCheckpoint.load(GGUFFile.open(Self.smolGGUF))
        let model = try Self.decoder(loaded)
        #expect(model.lmHeadIsTied)
        #expect(model.spec == DecoderSpec(modelType: "llama", vocabSize: 49152, hiddenSize: 576, layers: 30, heads: 9,
                                          kvHeads: 3, headDim: 64, intermediateSize: 1536, normEps: 1e-5, ropeTheta: 100000, maxPositions: 8192))
        #expect(loaded.config.maxPositionEmbeddings == 8192 && loaded.config.tieWordEmbeddings)

        let fromJSON = try TokenizerLoader.load(tokenizerJSON: loaded.tokenizerJSON, source: "written tokenizer.json")
        #expect(loaded.tokenizer.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        for text in ["The capital of France is", "<|im_start|>user\nWhat is 2+2?<|im_end|>\n", "1815 and 3.14159",
                     "Café naïve 日本語 😀", "  many   spaces\n\n\ttabs", "a\u{4}b"] {
            #expect(fromJSON.encode(text) == loaded.tokenizer.encode(text), "\(text.debugDescription)")
        }

        // One forward of 5 tokens (slow in a debug build); MODELS.md's last-position logits.
        let tokens = [504, 3575, 282, 4649, 314]
        let logits = try model.logits(tokens: tokens)
        let last = Array(logits.data[(tokens.count - 1) * 49152..<tokens.count * 49152])
        let top = last.indices.sorted { last[$0] > last[$1] }.prefix(5)
        #expect(Array(top) == [7042, 260, 4528, 2250, 1315])
        #expect(abs(last[7042] - 17.3713) < 2e-3, "\" Paris\" logit \(last[7042])")
    }
}
