import Foundation
import PareNN
import PareTensor

/// `tokenizer.ggml.*` for a byte-level BPE tokenizer.json, as llama.cpp's converter writes them
/// for GPT-2-style vocabularies (`gpt2` model, no scores): tokens by id, token types (3 control
/// for special added tokens, 4 user-defined for the other added ones, 1 normal, 5 unused for the
/// "[PAD{id}]" entries that fill an embedding larger than the vocabulary), merges in order, the
/// pre-tokenizer name llama.cpp knows, the special ids and whether BOS/EOS are added.
/// A run whose base was a GGUF file recorded the tokenizer.json Pare built from that file's
/// `tokenizer.ggml.*` (`TokenizerJSONWriter`), so this gives those entries back.
enum GGUFTokenizerExport {
    static func metadata(tokenizerJSON: Data, configJSON: Data?, embeddingRows: Int) throws -> [(key: String, value: GGUFValue)] {
        func bad(_ reason: String) -> PareError { PareError("the run's tokenizer.json \(reason), so it cannot be written as GGUF tokenizer metadata.") }
        guard let root = try? JSONSerialization.jsonObject(with: tokenizerJSON) as? [String: Any],
              let model = root["model"] as? [String: Any] else { throw bad("is not a JSON object with a \"model\"") }
        guard model["type"] as? String == "BPE" else {
            throw bad("has a \(model["type"] as? String ?? "missing") model where GGUF export needs byte-level BPE")
        }
        guard let vocab = model["vocab"] as? [String: Int] else { throw bad("has no model.vocab object of ids") }
        let loaded = try TokenizerLoader.load(tokenizerJSON: tokenizerJSON, source: "the run's tokenizer.json")
        guard let bpe = loaded as? BPETokenizer else { throw bad("is not a byte-level BPE tokenizer") }

        var byID: [Int: String] = [:]
        for (token, id) in vocab where byID[id] == nil || token < byID[id]! { byID[id] = token }
        var types: [Int: Int32] = [:]
        for added in (root["added_tokens"] as? [[String: Any]]) ?? [] {
            guard let id = added["id"] as? Int, let content = added["content"] as? String else { continue }
            byID[id] = content
            types[id] = (added["special"] as? Bool) == true ? 3 : 4
        }
        let count = max(embeddingRows, (byID.keys.max() ?? -1) + 1)
        var tokens: [GGUFValue] = [], tokenTypes: [GGUFValue] = []
        tokens.reserveCapacity(count); tokenTypes.reserveCapacity(count)
        for id in 0..<count {
            if let token = byID[id] {
                tokens.append(.string(token)); tokenTypes.append(.int32(types[id] ?? 1))
            } else {
                tokens.append(.string("[PAD\(id)]")); tokenTypes.append(.int32(5))
            }
        }
        let merges: [GGUFValue] = ((model["merges"] as? [Any]) ?? []).compactMap { m in
            if let s = m as? String { return .string(s) }
            if let pair = m as? [String], pair.count == 2 { return .string(pair[0] + " " + pair[1]) }
            return nil
        }

        let config = configJSON.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        func id(_ own: Int?, _ key: String) -> Int? { own ?? (config[key] as? Int) }
        var out: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(preName(bpe.preTokenizer))),
            ("tokenizer.ggml.tokens", .array(elementType: .string, elements: tokens)),
            ("tokenizer.ggml.token_type", .array(elementType: .int32, elements: tokenTypes)),
            ("tokenizer.ggml.merges", .array(elementType: .string, elements: merges)),
        ]
        for (key, value) in [("bos_token_id", id(bpe.bosID, "bos_token_id")), ("eos_token_id", id(bpe.eosID, "eos_token_id")),
                             ("unknown_token_id", bpe.unknownID), ("padding_token_id", id(bpe.padID, "pad_token_id"))] {
            if let value, (0..<count).contains(value) { out.append(("tokenizer.ggml.\(key)", .uint32(UInt32(value)))) }
        }
        out.append(("tokenizer.ggml.add_bos_token", .bool(!bpe.template.prefix.isEmpty)))
        out.append(("tokenizer.ggml.add_eos_token", .bool(!bpe.template.suffix.isEmpty)))
        return out
    }

    /// The `tokenizer.ggml.pre` llama.cpp selects the same pre-tokenizer by.
    static func preName(_ p: BPEPreTokenizer) -> String {
        switch p {
        case .gpt2: "gpt-2"
        case .smollm: "smollm"
        case .llama3: "llama-bpe"
        }
    }
}
