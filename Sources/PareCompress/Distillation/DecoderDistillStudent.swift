import Foundation
import PareNN
import PareTensor

extension DecoderDistill {
    /// The teacher (the base model) as a decoder that can be trained through, or a `ConfigError`.
    func teacher(_ model: Model) throws -> CausalDecoder {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(Distill.name): student=\(studentText) distils a decoder LM, but --model is \(model.isTransformer ? "an encoder" : "an MLP"); an MLP takes student=mlp:IN,HIDDEN…,OUT.")
        }
        guard case .rms = decoder.norm, decoder.spec.activation == .silu else {
            throw ConfigError("\(Distill.name) trains RMSNorm SwiGLU decoders (Llama, Qwen2, Mistral) so far.")
        }
        return decoder
    }

    /// The student before training, checked against the teacher.
    func makeStudent(_ teacher: CausalDecoder, context: CompressionContext) throws -> CausalDecoder {
        let name = Distill.name
        let student: CausalDecoder
        switch self.student {
        case .depth(let k):
            let l = teacher.layers.count
            guard k <= l else {
                throw ConfigError("\(name): student=layers:\(k) keeps more blocks than the teacher's \(l); give K ≤ \(l).")
            }
            let kept = Set(Self.spreadBlocks(k, of: l))
            student = TransformerStructuredPruning.dropBlocks(teacher, removing: Set(0..<l).subtracting(kept))
        case .fresh(let f):
            student = try Self.freshStudent(f, like: teacher, seed: context.seed)
        case .file(let path):
            guard let loaded = context.models[path] else {
                throw ConfigError("\(name): the student model \(path) was not loaded (the caller passes the files of `modelPaths` in the context).")
            }
            guard case .decoder(let d)? = loaded.transformer else {
                throw ConfigError("\(name): student_model \(path) is not a decoder LM; an LM distillation needs a decoder student.")
            }
            try Self.checkFamily(d, teacher, path, blackBox: mode != .logits)
            student = d
        }
        // A quantized student (a GGUF's blocks) starts from its decoded values and trains in float.
        if student.embedTokens.factors != nil {
            throw ConfigError("\(name): the student's token embedding is stored as two low-rank factors, which training would turn back into one table; distil before factoring it.")
        }
        return student
    }

    /// K block indices of L, evenly spread with the first and the last: round(i·(L−1)/(K−1)).
    static func spreadBlocks(_ k: Int, of l: Int) -> [Int] {
        guard k > 1 else { return [0] }
        return (0..<k).map { i in Int((Double(i) * Double(l - 1) / Double(k - 1)).rounded()) }
    }

    /// A student file must share the teacher's vocabulary (the KL compares their distributions
    /// token by token) and family (the record rebuilds a run from the teacher's config.json with
    /// the sizes its tensors have).
    /// In the black-box modes the prompts and the teacher's text are tokenized with the base
    /// model's tokenizer for the student too, so it needs that vocabulary there as well.
    static func checkFamily(_ s: CausalDecoder, _ t: CausalDecoder, _ path: String, blackBox: Bool = false) throws {
        let name = Distill.name
        guard s.spec.vocabSize == t.spec.vocabSize else {
            if blackBox {
                throw ConfigError("\(name): student_model \(path) has a vocabulary of \(s.spec.vocabSize) tokens but the base model's has \(t.spec.vocabSize); black-box distillation tokenizes the prompts and the teacher's text with the base model's tokenizer for the student too, so the student must share it (a student with its own tokenizer is not supported).")
            }
            throw ConfigError("\(name): student_model \(path) has a vocabulary of \(s.spec.vocabSize) tokens but the teacher's has \(t.spec.vocabSize); logit distillation needs the teacher's tokenizer (a student with another one needs black-box distillation).")
        }
        let differing: [(String, Bool)] = [
            ("model_type", s.spec.modelType != t.spec.modelType), ("head_dim", s.spec.headDim != t.spec.headDim),
            ("rms_norm_eps", s.spec.normEps != t.spec.normEps), ("rope_theta", s.spec.ropeTheta != t.spec.ropeTheta),
            ("biases", s.spec.qkvBias != t.spec.qkvBias || s.spec.outputBias != t.spec.outputBias || s.spec.mlpBias != t.spec.mlpBias),
            ("tie_word_embeddings", s.lmHeadIsTied != t.lmHeadIsTied),
        ]
        if let (key, _) = differing.first(where: \.1) {
            throw ConfigError("\(name): student_model \(path) differs from the teacher in \(key); the record rebuilds the student from the teacher's config.json, so give a student of the same family that differs only in its sizes.")
        }
    }

    /// A fresh decoder of the teacher's family: `f`'s sizes, the teacher's vocabulary, head_dim,
    /// norms, RoPE, biases and head tying; Linears and the embedding N(0, 0.02²), norms 1, biases 0.
    static func freshStudent(_ f: FreshStudent, like teacher: CausalDecoder, seed: UInt64) throws -> CausalDecoder {
        var spec = teacher.spec
        spec.layers = f.layers
        spec.hiddenSize = f.hidden
        spec.heads = f.heads
        spec.kvHeads = f.kvHeads ?? f.heads
        spec.intermediateSize = f.intermediate
            ?? max(1, Int((Double(teacher.spec.intermediateSize) * Double(f.hidden) / Double(teacher.spec.hiddenSize)).rounded()))
        var random = SeededRandom(seed: seed ^ 0xD157_111D)
        var tensors: [String: Tensor] = [:]
        func normal(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(0.02 * random.normal()) })
        }
        let h = spec.hiddenSize, q = spec.heads * spec.headDim, kv = spec.kvHeads * spec.headDim, ffn = spec.intermediateSize
        tensors["model.embed_tokens.weight"] = normal([spec.vocabSize, h])
        for i in 0..<spec.layers {
            let p = "model.layers.\(i)."
            for (n, shape, bias) in [("self_attn.q_proj", [q, h], spec.qkvBias), ("self_attn.k_proj", [kv, h], spec.qkvBias),
                                     ("self_attn.v_proj", [kv, h], spec.qkvBias), ("self_attn.o_proj", [h, q], spec.outputBias),
                                     ("mlp.gate_proj", [ffn, h], spec.mlpBias), ("mlp.up_proj", [ffn, h], spec.mlpBias),
                                     ("mlp.down_proj", [h, ffn], spec.mlpBias)] {
                tensors[p + n + ".weight"] = normal(shape)
                if bias { tensors[p + n + ".bias"] = Tensor(zeros: [shape[0]]) }
            }
            tensors[p + "input_layernorm.weight"] = Tensor(shape: [h], data: [Float](repeating: 1, count: h))
            tensors[p + "post_attention_layernorm.weight"] = Tensor(shape: [h], data: [Float](repeating: 1, count: h))
        }
        tensors["model.norm.weight"] = Tensor(shape: [h], data: [Float](repeating: 1, count: h))
        if !teacher.lmHeadIsTied { tensors["lm_head.weight"] = normal([spec.vocabSize, h]) }
        do {
            return try CausalDecoder.load(spec: spec, tensors: DictionaryTensorProvider(tensors, sourceDescription: "the fresh student"))
        } catch {
            throw ConfigError("\(Distill.name): the student \(f) cannot be built: \(error).")
        }
    }

    /// The matched block pairs, checked against both models' depths.
    func checkFeaturePairs(teacher: CausalDecoder, student: CausalDecoder) throws {
        for p in featurePairs {
            guard p.teacher < teacher.layers.count else {
                throw ConfigError("\(Distill.name): feature_layers names teacher block \(p.teacher), but the teacher has blocks 0…\(teacher.layers.count - 1).")
            }
            guard p.student < student.layers.count else {
                throw ConfigError("\(Distill.name): feature_layers names student block \(p.student), but the student has blocks 0…\(student.layers.count - 1).")
            }
        }
    }

    func validate(_ model: Model, context: CompressionContext) throws {
        if mode != .logits { return try validateBlackBox(model, context: context) }
        let teacher = try teacher(model)
        guard let text = context.trainingText else {
            throw ConfigError("\(Distill.name) trains the student on text: pass --train text:FILE[,tokens=N][,context=C] (another text than --test), or --set mode=instruction|icl|cot to learn from a teacher's answers to --train prompts:FILE.")
        }
        guard !text.windows.isEmpty, text.windows.allSatisfy({ $0.count >= 2 }) else {
            throw ConfigError("\(Distill.name): the training text gives no window of 2 or more tokens; give a longer text or a larger context.")
        }
        let student = try makeStudent(teacher, context: context)
        try checkFeaturePairs(teacher: teacher, student: student)
    }
}
