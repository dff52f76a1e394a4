import PareTensor

/// llama.cpp's tensor names for the Llama-family layout (its `LLM_TENSOR_NAMES`) and Hugging
/// Face's, both ways, so a GGUF checkpoint feeds the HF-named loaders and can be written back.
public enum GGUFTensorNames {
    /// Layer tensors: HF's name after `model.layers.N.` → GGUF's after `blk.N.` (without .weight/.bias).
    static let layerParts: [(hf: String, gguf: String)] = [
        ("input_layernorm", "attn_norm"),
        ("self_attn.q_proj", "attn_q"),
        ("self_attn.k_proj", "attn_k"),
        ("self_attn.v_proj", "attn_v"),
        ("self_attn.o_proj", "attn_output"),
        ("post_attention_layernorm", "ffn_norm"),
        ("mlp.gate_proj", "ffn_gate"),
        ("mlp.up_proj", "ffn_up"),
        ("mlp.down_proj", "ffn_down"),
    ]
    static let globals: [(hf: String, gguf: String)] = [
        ("model.embed_tokens", "token_embd"),
        ("model.norm", "output_norm"),
        ("lm_head", "output"),
    ]

    /// `model.layers.3.self_attn.q_proj.weight` → `blk.3.attn_q.weight`; nil for a name the
    /// Llama layout does not have.
    public static func gguf(forHuggingFace name: String) -> String? {
        map(name, from: \.hf, to: \.gguf, layerPrefix: "model.layers.", to: "blk.")
    }

    /// `blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`; nil for a name the
    /// Llama layout does not have.
    public static func huggingFace(forGGUF name: String) -> String? {
        map(name, from: \.gguf, to: \.hf, layerPrefix: "blk.", to: "model.layers.")
    }

    private static func map(_ name: String, from: KeyPath<(hf: String, gguf: String), String>,
                            to: KeyPath<(hf: String, gguf: String), String>,
                            layerPrefix: String, to newPrefix: String) -> String? {
        let kinds = [".weight", ".bias"]
        guard let kind = kinds.first(where: { name.hasSuffix($0) }) else { return nil }
        let stem = String(name.dropLast(kind.count))
        if let g = globals.first(where: { $0[keyPath: from] == stem }) { return g[keyPath: to] + kind }
        guard stem.hasPrefix(layerPrefix) else { return nil }
        let rest = stem.dropFirst(layerPrefix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]), layer >= 0,
              String(layer) == rest[..<dot] else { return nil }
        let part = String(rest[rest.index(after: dot)...])
        guard let p = layerParts.first(where: { $0[keyPath: from] == part }) else { return nil }
        return "\(newPrefix)\(layer).\(p[keyPath: to])\(kind)"
    }
}

/// llama.cpp's Llama converter permutes the rows of q_proj and k_proj (and their biases) per
/// head so its RoPE, which rotates adjacent pairs (2i, 2i+1), equals HF's `rotate_half`, which
/// rotates (i, i + D/2). GGUF row h·D + 2i + j holds HF row h·D + j·D/2 + i (D = head_dim).
public enum GGUFRoPELayout {
    /// GGUF's permuted rows back to Hugging Face's order (numpy:
    /// `W.reshape(heads, D//2, 2, -1).swapaxes(1, 2).reshape(W.shape)`).
    public static func unpermute(_ t: Tensor, heads: Int) -> Tensor { reorder(t, heads: heads, toHuggingFace: true) }

    /// Hugging Face's rows to GGUF's permuted order (convert_hf_to_gguf.py's `permute`), for export.
    public static func permute(_ t: Tensor, heads: Int) -> Tensor { reorder(t, heads: heads, toHuggingFace: false) }

    /// Whether `rows` splits into `heads` heads of an even head_dim, which both directions need.
    public static func canReorder(rows: Int, heads: Int) -> Bool {
        heads > 0 && rows % heads == 0 && (rows / heads) % 2 == 0
    }

    private static func reorder(_ t: Tensor, heads: Int, toHuggingFace: Bool) -> Tensor {
        let rows = t.rows, width = t.shape.count <= 1 ? 1 : t.columns
        precondition(canReorder(rows: rows, heads: heads), "GGUFRoPELayout: \(rows) rows are not \(heads) heads of an even size")
        let d = rows / heads, half = d / 2
        var out = [Float](repeating: 0, count: t.count)
        t.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for h in 0..<heads {
                    for i in 0..<half {
                        for j in 0..<2 {
                            let gguf = (h * d + 2 * i + j) * width, hf = (h * d + j * half + i) * width
                            let (from, to) = toHuggingFace ? (gguf, hf) : (hf, gguf)
                            (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: width)
                        }
                    }
                }
            }
        }
        return Tensor(shape: t.shape, data: out)
    }
}
