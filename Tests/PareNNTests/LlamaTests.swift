import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The Llama-family decoder against numpy forward passes of tiny random checkpoints.
@Suite struct LlamaTests {
    @Test(arguments: ["llama_tiny_untied", "llama_tiny_tied", "qwen2_tiny"])
    func logitsMatchNumpy(_ name: String) throws {
        let model = try TransformerFixtures.decoder(name)
        let ref = try TransformerFixtures.reference(name)
        for s in 0..<3 {
            let tokens = try TransformerFixtures.tokens(ref, "tokens.\(s)")
            let logits = try model.logits(tokens: tokens)
            #expect(logits.shape == [tokens.count, 64])
            expectClose(logits, try ref.tensor("logits.\(s)"), "\(name) sequence \(s)")
        }
    }

    @Test func configAndTyingFollowTheCheckpoint() throws {
        let untied = try TransformerFixtures.decoder("llama_tiny_untied")
        let tied = try TransformerFixtures.decoder("llama_tiny_tied")
        #expect(!untied.lmHeadIsTied && tied.lmHeadIsTied)
        #expect(tied.lmHead.weight.decoded() == tied.embedTokens.weight)
        #expect(untied.spec == DecoderSpec(modelType: "llama", vocabSize: 64, hiddenSize: 32, layers: 2, heads: 4,
                                           kvHeads: 2, headDim: 8, intermediateSize: 48, normEps: 1e-5,
                                           ropeTheta: 100000, maxPositions: 128))
        let qwen = try TransformerFixtures.decoder("qwen2_tiny")
        #expect(qwen.spec.qkvBias && !qwen.spec.outputBias)
        #expect(qwen.layers[0].attention.query.bias != nil && qwen.layers[0].attention.output.bias == nil)
    }

    @Test func configDefaultsAreHuggingFacesOwn() throws {
        let c = try JSONDecoder().decode(LlamaConfig.self, from: Data(#"{"hidden_size": 64, "num_attention_heads": 4}"#.utf8))
        let s = try c.spec()
        #expect(s.kvHeads == 4 && s.headDim == 16 && s.vocabSize == 32000 && s.ropeTheta == 10000 && s.normEps == 1e-6)
        let q = try Qwen2.config(from: Data("{}".utf8))
        #expect(q.vocabSize == 151936 && q.modelType == "qwen2")
    }

    /// A window longer than the causal prefill's 64-query chunks (Attention.swift) gives the
    /// same rows as decoding one token at a time through the cache, which never chunks.
    @Test func aWindowLongerThanOneAttentionChunkMatchesCachedDecoding() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        // 100 positions: a full chunk of 64 queries and a partial one of 36.
        let tokens = (0..<100).map { ($0 * 37 + 11) % model.spec.vocabSize }
        let full = try model.logits(tokens: tokens)
        var cache = model.makeCache(reservingPositions: tokens.count)
        for (t, token) in tokens.enumerated() {
            expectClose(try model.decode(token: token, cache: &cache), rows(full, t..<t + 1), "decode step \(t)")
        }
    }

    @Test(arguments: ["llama_tiny_untied", "qwen2_tiny"])
    func cachedDecodingEqualsFullWindow(_ name: String) throws {
        let model = try TransformerFixtures.decoder(name)
        let ref = try TransformerFixtures.reference(name)
        let tokens = try TransformerFixtures.tokens(ref, "tokens.0")
        let full = try model.logits(tokens: tokens)
        var cache = model.makeCache(reservingPositions: tokens.count)
        for (t, token) in tokens.enumerated() {
            let step = try model.decode(token: token, cache: &cache)
            #expect(cache.length == t + 1)
            expectClose(step, rows(full, t..<t + 1), "\(name) decode step \(t)")
        }
        // A prefill of 3 through the cache, then single steps, gives the same rows too.
        var cache2 = model.makeCache()
        expectClose(try model.logits(tokens: Array(tokens[0..<3]), cache: &cache2), rows(full, 0..<3), "prefill")
        for t in 3..<tokens.count {
            expectClose(try model.decode(token: tokens[t], cache: &cache2), rows(full, t..<t + 1), "after prefill \(t)")
        }
    }

    /// A generation's prefill returns the numpy logits of the prompt's last position only, and
    /// decoding continues from the cache it filled with the numpy logits of the next positions.
    @Test(arguments: ["llama_tiny_tied", "qwen2_tiny"])
    func prefillGivesTheLastPositionAndFillsTheCache(_ name: String) throws {
        let model = try TransformerFixtures.decoder(name)
        let ref = try TransformerFixtures.reference(name)
        let tokens = try TransformerFixtures.tokens(ref, "tokens.0")
        let want = try ref.tensor("logits.0")
        let prompt = tokens.count - 2
        var cache = model.makeCache(reservingPositions: tokens.count)
        let last = try model.prefill(tokens: Array(tokens[0..<prompt]), cache: &cache)
        #expect(last.shape == [1, 64] && cache.length == prompt)
        expectClose(last, rows(want, prompt - 1..<prompt), "\(name) prefill")
        for t in prompt..<tokens.count {
            expectClose(try model.decode(token: tokens[t], cache: &cache), rows(want, t..<t + 1), "\(name) step \(t)")
        }
    }

    @Test func linearInputHookSeesTheLayersInputs() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        let ref = try TransformerFixtures.reference("llama_tiny_untied")
        let watched: Set = ["model.layers.1.mlp.down_proj", "model.layers.0.self_attn.o_proj", "lm_head"]
        let capture = LinearInputCapture(paths: watched)
        let logits = try model.logits(tokens: try TransformerFixtures.tokens(ref, "tokens.0"), observer: capture.observer)
        #expect(Set(capture.captured.keys) == watched)
        for path in watched {
            #expect(capture.captured[path]?.count == 1)
            expectClose(try #require(capture.inputs(of: path)), try ref.tensor("input.\(path)"), "input of \(path)")
        }
        expectClose(logits, try ref.tensor("logits.0"), "hooked pass logits")

        // With no filter every Linear is seen once per pass, in forward order.
        var order: [String] = []
        _ = try model.logits(tokens: [1, 2], observer: LinearInputObserver { path, input in
            order.append(path)
            #expect(input.rows == 2)
        })
        #expect(order == model.linearPaths)
    }

    @Test func groupedQueryEqualsMultiHeadWithRepeatedKeyValueHeads() throws {
        let gqa = try TransformerFixtures.decoder("llama_tiny_untied")
        // Expand each key/value head into the query heads that share it (HF's repeat_kv).
        var mha = gqa
        let d = gqa.spec.headDim, rep = gqa.spec.heads / gqa.spec.kvHeads
        func repeated(_ linear: Linear) -> Linear {
            let w = linear.weight.decoded(), inF = w.columns
            var data: [Float] = []
            for h in 0..<gqa.spec.heads {
                let g = h / rep
                data += w.data[(g * d * inF)..<((g + 1) * d * inF)]
            }
            return Linear(name: linear.name, weight: DenseWeight(Tensor(shape: [gqa.spec.heads * d, inF], data: data)), bias: nil)
        }
        for i in mha.layers.indices {
            var a = mha.layers[i].attention
            a = Attention(query: a.query, key: repeated(a.key), value: repeated(a.value), output: a.output,
                          heads: a.heads, kvHeads: a.heads, headDim: a.headDim, causal: true)
            mha.layers[i].attention = a
        }
        let tokens = [1, 5, 9, 33, 2, 63, 0, 17]
        expectClose(try mha.logits(tokens: tokens), try gqa.logits(tokens: tokens), tolerance: 1e-6, "MHA vs GQA")
    }

    @Test func linearsCanBeListedAndReplacedByPath() throws {
        var model = TransformerModel.decoder(try TransformerFixtures.decoder("llama_tiny_untied"))
        #expect(model.linearPaths.count == 2 * 7 + 1)
        #expect(model.linearPaths.prefix(7) == ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                                                 "model.layers.0.self_attn.v_proj", "model.layers.0.self_attn.o_proj",
                                                 "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
                                                 "model.layers.0.mlp.down_proj"])
        #expect(model.linearPaths.last == "lm_head")
        let path = "model.layers.1.mlp.up_proj"
        let old = try #require(model.linear(at: path))
        let zero = Linear(name: "anything", weight: DenseWeight(Tensor(zeros: [old.outFeatures, old.inFeatures])), bias: nil)
        try model.setLinear(zero, at: path)
        #expect(model.linear(at: path)?.weight.decoded() == Tensor(zeros: [48, 32]))
        #expect(model.linear(at: path)?.name == path)
        guard case .decoder(let d) = model else { Issue.record("not a decoder"); return }
        // A zero up-projection silences layer 1's MLP: its down_proj now sees zeros.
        let capture = LinearInputCapture(paths: ["model.layers.1.mlp.down_proj"])
        _ = try d.logits(tokens: [3, 4], observer: capture.observer)
        #expect(capture.inputs(of: "model.layers.1.mlp.down_proj")?.data.allSatisfy { $0 == 0 } == true)

        let wrong = Linear(name: path, weight: DenseWeight(Tensor(zeros: [47, 32])), bias: nil)
        #expect(throws: TransformerError.replacementShape(path: path, expected: [48, 32], found: [47, 32])) {
            try model.setLinear(wrong, at: path)
        }
        #expect(throws: TransformerError.unknownLinear(path: "model.layers.9.mlp.up_proj")) {
            try model.setLinear(zero, at: "model.layers.9.mlp.up_proj")
        }
    }

    @Test func linearsAreSelectedByGlob() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        #expect(model.linearPaths(matching: "model.layers.*.mlp.*").count == 6)
        #expect(model.linearPaths(matching: "*.q_proj") == ["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj"])
        #expect(model.linearPaths(matching: "model.layers.1.self_attn.?_proj").count == 4)
        #expect(model.linearPaths(matching: "lm_head") == ["lm_head"])
        #expect(model.linearPaths(matching: "model.layers.2.*").isEmpty)
    }

    @Test func badCheckpointsAreTypedErrors() throws {
        let dir = TransformerFixtures.directory("llama_tiny_untied")
        let json = try Data(contentsOf: dir.appendingPathComponent("config.json"))
        let file = try SafetensorsFile.read(contentsOf: dir.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for (name, array) in file.tensors { tensors[name] = array.tensor }

        var missing = tensors
        missing["model.layers.1.mlp.gate_proj.weight"] = nil
        #expect(throws: TransformerError.missingTensor(name: "model.layers.1.mlp.gate_proj.weight", source: "tiny")) {
            try TransformerRegistry.load(configJSON: json, tensors: DictionaryTensorProvider(missing, sourceDescription: "tiny"))
        }
        var reshaped = tensors
        reshaped["model.norm.weight"] = Tensor(zeros: [31])
        #expect(throws: TransformerError.wrongShape(name: "model.norm.weight", expected: [32], found: [31], source: "tiny")) {
            try TransformerRegistry.load(configJSON: json, tensors: DictionaryTensorProvider(reshaped, sourceDescription: "tiny"))
        }
        let provider = DictionaryTensorProvider(tensors)
        #expect(throws: TransformerError.unknownModelType("mamba", known: TransformerRegistry.knownModelTypes)) {
            try TransformerRegistry.load(configJSON: Data(#"{"model_type": "mamba"}"#.utf8), tensors: provider)
        }
        do {
            _ = try TransformerRegistry.load(configJSON: Data(#"{"model_type": "llama", "hidden_size": "wide"}"#.utf8), tensors: provider)
            Issue.record("a string hidden_size loaded")
        } catch let error as TransformerError {
            #expect(error.description.contains("hidden_size"))
        }
        #expect(throws: TransformerError.self) {
            try TransformerRegistry.load(configJSON: Data(#"{"model_type": "llama", "num_attention_heads": 4, "num_key_value_heads": 3}"#.utf8), tensors: provider)
        }
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        #expect(throws: TransformerError.tokenOutOfRange(token: 64, vocabularySize: 64)) { try model.logits(tokens: [1, 64]) }
        #expect(throws: TransformerError.emptyInput("the decoder")) { try model.logits(tokens: []) }
        // Every message is one sentence.
        let message = TransformerError.missingTensor(name: "x.weight", source: "m.safetensors").description
        #expect(message.hasSuffix(".") && message.contains("m.safetensors") && message.contains("x.weight"))
    }
}
