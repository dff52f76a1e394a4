import Foundation
import PareNN
import PareTensor

/// Tiny transformers with seeded random weights, written as Hugging Face directories with a
/// real tokenizer (the BPE and WordPiece test tokenizers), for testing the record path end to
/// end: load → compress → evaluate → record → rebuild → export → reload. The forward passes
/// themselves are checked against numpy in PareNNTests; these tests check that the record
/// keeps what was evaluated.
public enum TinyTransformers {
    public static let tokenizers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures/tokenizers")

    /// A Llama (GQA, SwiGLU, tied embeddings) over the 537-token BPE test tokenizer (a smaller
    /// `vocabulary` makes a model its tokenizer does not fit; `positions` is its context).
    public static func llama(in folder: URL, tied: Bool = true, vocabulary: Int = 540, positions: Int = 64) throws -> URL {
        let dir = folder.appending(path: "tiny-llama")
        let (v, h, layers, heads, kv, d, ffn) = (vocabulary, 32, 2, 4, 2, 8, 48)
        var t: [(String, [Int])] = [("model.embed_tokens.weight", [v, h])]
        for i in 0..<layers {
            let p = "model.layers.\(i)"
            t += [("\(p).input_layernorm.weight", [h]), ("\(p).self_attn.q_proj.weight", [heads * d, h]),
                  ("\(p).self_attn.k_proj.weight", [kv * d, h]), ("\(p).self_attn.v_proj.weight", [kv * d, h]),
                  ("\(p).self_attn.o_proj.weight", [h, heads * d]), ("\(p).post_attention_layernorm.weight", [h]),
                  ("\(p).mlp.gate_proj.weight", [ffn, h]), ("\(p).mlp.up_proj.weight", [ffn, h]),
                  ("\(p).mlp.down_proj.weight", [h, ffn])]
        }
        t.append(("model.norm.weight", [h]))
        if !tied { t.append(("lm_head.weight", [v, h])) }
        let config = """
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":\(v),"hidden_size":\(h),
         "intermediate_size":\(ffn),"num_hidden_layers":\(layers),"num_attention_heads":\(heads),
         "num_key_value_heads":\(kv),"head_dim":\(d),"hidden_act":"silu","max_position_embeddings":\(positions),
         "rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":\(tied)}
        """
        try write(dir, tensors: t, config: config, tokenizer: "bpe-tiny.tokenizer.json")
        return dir
    }

    /// A BERT encoder (post-LN, GELU) over the WordPiece test tokenizer.
    public static func bert(in folder: URL) throws -> URL {
        let dir = folder.appending(path: "tiny-bert")
        let (v, h, layers, ffn, positions) = (60, 32, 2, 64, 32)
        var t: [(String, [Int])] = [("embeddings.word_embeddings.weight", [v, h]),
                                    ("embeddings.position_embeddings.weight", [positions, h]),
                                    ("embeddings.token_type_embeddings.weight", [2, h]),
                                    ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h])]
        for i in 0..<layers {
            let p = "encoder.layer.\(i)"
            for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                t += [("\(p).\(name).weight", [h, h]), ("\(p).\(name).bias", [h])]
            }
            t += [("\(p).attention.output.LayerNorm.weight", [h]), ("\(p).attention.output.LayerNorm.bias", [h]),
                  ("\(p).intermediate.dense.weight", [ffn, h]), ("\(p).intermediate.dense.bias", [ffn]),
                  ("\(p).output.dense.weight", [h, ffn]), ("\(p).output.dense.bias", [h]),
                  ("\(p).output.LayerNorm.weight", [h]), ("\(p).output.LayerNorm.bias", [h])]
        }
        let config = """
        {"architectures":["BertModel"],"model_type":"bert","vocab_size":\(v),"hidden_size":\(h),
         "num_hidden_layers":\(layers),"num_attention_heads":4,"intermediate_size":\(ffn),"hidden_act":"gelu",
         "max_position_embeddings":\(positions),"type_vocab_size":2,"layer_norm_eps":1e-12}
        """
        try write(dir, tensors: t, config: config, tokenizer: "wordpiece-tiny.tokenizer.json")
        return dir
    }

    /// Norm weights near 1 (biases near 0), everything else N(0, 0.2²)-ish from a seeded generator.
    static func write(_ dir: URL, tensors: [(String, [Int])], config: String, tokenizer: String) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var random = SeededRandom(seed: 7)
        let arrays = tensors.map { name, shape -> (name: String, array: StoredArray) in
            let n = shape.reduce(1, *)
            let isNorm = name.contains("norm") || name.contains("LayerNorm")
            let data = (0..<n).map { _ -> Float in
                let u = Float(random.nextDouble() * 2 - 1)
                return isNorm ? (name.hasSuffix(".weight") ? 1 + 0.1 * u : 0.05 * u) : 0.35 * u
            }
            return (name, StoredArray(Tensor(shape: shape, data: data)))
        }
        try SafetensorsFile(tensors: arrays).write(to: dir.appending(path: "model.safetensors"))
        try Data(config.utf8).write(to: dir.appending(path: "config.json"))
        try FileManager.default.copyItem(at: tokenizers.appending(path: tokenizer), to: dir.appending(path: "tokenizer.json"))
    }

    /// A few paragraphs the BPE tokenizer cuts into a few hundred tokens.
    public static func text(in folder: URL) throws -> URL {
        let url = folder.appending(path: "text.txt")
        let line = "The quick brown fox jumps over the lazy dog; hello world, again and again! 12345 café.\n"
        try Data(String(repeating: line, count: 12).utf8).write(to: url)
        return url
    }

    /// Labelled sentences in the WordPiece tokenizer's small vocabulary.
    public static func sentences(in folder: URL, name: String, rows: Int, offset: Int = 0) throws -> URL {
        let words = ["the", "quick", "brown", "fox", "hello", "world", "cafe", "naive", "abc", "resume"]
        var lines = ["text\tlabel"]
        for i in 0..<rows {
            let k = i + offset
            let sentence = (0..<(3 + k % 4)).map { words[(k * 7 + $0 * 3) % words.count] }.joined(separator: " ")
            lines.append("\(sentence)\t\(sentence.contains("fox") ? 1 : 0)")
        }
        let url = folder.appending(path: name)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }
}
