import Foundation
import PareNN

/// A structurally pruned decoder (fewer heads, MLP channels or blocks) is no longer the shape
/// its base model's config.json describes. The record keeps the base's config.json and the
/// run's tensors; these give the config.json whose sizes match the tensors, for rebuilding a run
/// and for exporting it. Only the six sizes are rewritten (with `head_dim` made explicit, since
/// the default hidden_size / num_attention_heads no longer holds); every other key is kept, and
/// a config that already fits is returned byte for byte.
enum DecoderConfigSizes {
    struct Sizes: Equatable {
        var layers: Int, heads: Int, kvHeads: Int, headDim: Int, intermediate: Int
        /// A distilled student of another width (`distill student=llama:…`) has its own.
        var hidden: Int
    }

    /// The base config's sizes, read as Llama, Qwen2 and Mistral all read them (their
    /// differing defaults are none of these six); nil for a config that is not a decoder's.
    static func sizes(of configJSON: Data) -> Sizes? {
        struct Probe: Decodable { let model_type: String? }
        guard let type = (try? JSONDecoder().decode(Probe.self, from: configJSON))?.model_type,
              ["llama", "qwen2", "mistral"].contains(type),
              let config = try? JSONDecoder().decode(LlamaConfig.self, from: configJSON),
              let spec = try? config.spec() else { return nil }
        return Sizes(spec)
    }

    /// `configJSON` with the sizes of `spec` (the model as it is after compression).
    static func configJSON(_ configJSON: Data, fitting spec: DecoderSpec) throws -> Data {
        try rewrite(configJSON, to: Sizes(spec))
    }

    /// `configJSON` with the sizes the stored decoder tensors have: the blocks counted, heads
    /// and key/value heads from block 0's q/k projections over the base's head_dim (structured
    /// pruning removes whole heads, never part of one), channels from its gate (or up)
    /// projection. Tensors of another layout leave the config as it is.
    static func configJSON(_ configJSON: Data, fittingShapes shapes: [String: [Int]]) throws -> Data {
        guard var sizes = sizes(of: configJSON) else { return configJSON }
        let p = "model.layers.0."
        guard let q = shapes[p + "self_attn.q_proj.weight"]?.first, let k = shapes[p + "self_attn.k_proj.weight"]?.first,
              let ffn = (shapes[p + "mlp.gate_proj.weight"] ?? shapes[p + "mlp.up_proj.weight"])?.first,
              sizes.headDim > 0, q % sizes.headDim == 0, k % sizes.headDim == 0 else { return configJSON }
        let blocks = Set(shapes.keys.compactMap { name -> Int? in
            guard name.hasPrefix("model.layers."), let n = name.dropFirst(13).split(separator: ".").first else { return nil }
            return Int(n)
        })
        sizes.layers = blocks.count
        sizes.heads = q / sizes.headDim
        sizes.kvHeads = k / sizes.headDim
        sizes.intermediate = ffn
        if let width = shapes["model.norm.weight"]?.first { sizes.hidden = width }
        return try rewrite(configJSON, to: sizes)
    }

    static func rewrite(_ configJSON: Data, to sizes: Sizes) throws -> Data {
        guard let current = self.sizes(of: configJSON), current != sizes else { return configJSON }
        guard var object = try JSONSerialization.jsonObject(with: configJSON) as? [String: Any] else { return configJSON }
        object["num_hidden_layers"] = sizes.layers
        object["num_attention_heads"] = sizes.heads
        object["num_key_value_heads"] = sizes.kvHeads
        object["head_dim"] = sizes.headDim
        object["intermediate_size"] = sizes.intermediate
        object["hidden_size"] = sizes.hidden
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

extension DecoderConfigSizes.Sizes {
    init(_ spec: DecoderSpec) {
        self.init(layers: spec.layers, heads: spec.heads, kvHeads: spec.kvHeads, headDim: spec.headDim,
                  intermediate: spec.intermediateSize, hidden: spec.hiddenSize)
    }
}
