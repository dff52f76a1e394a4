import Foundation

/// Writes a Hugging Face `tokenizers` tokenizer.json equal to a GGUF byte-level BPE tokenizer,
/// so a model read from GGUF can be exported as a Hugging Face directory. The file uses exactly
/// the components `TokenizerLoader.load(tokenizerJSON:)` recognises for each pre-tokenizer, so
/// loading it gives the same ids as `TokenizerLoader.load(gguf:)`.
public enum TokenizerJSONWriter {
    /// The tokenizer.json of `m`; the same checks as `BPETokenizer(gguf:)` (which runs first), plus
    /// a clear refusal of SentencePiece (`tokenizer.ggml.model = llama`) tokenizers.
    public static func tokenizerJSON(gguf m: GGUFTokenizerMetadata, source: String = "GGUF metadata") throws(TokenizerError) -> Data {
        tokenizerJSON(gguf: m, tokenizer: try tokenizer(gguf: m, source: source))
    }

    /// The tokenizer.json of `m` when `tokenizer` was already built from it (by `tokenizer(gguf:)`
    /// or `BPETokenizer(gguf:)`), so a caller that needs both builds the vocabulary once.
    public static func tokenizerJSON(gguf m: GGUFTokenizerMetadata, tokenizer: BPETokenizer) -> Data {
        document(m, tokenizer).data
    }

    /// `BPETokenizer(gguf:)` (the loader's own checks of model, pre-tokenizer, merges and ids),
    /// refusing SentencePiece (`tokenizer.ggml.model = llama`) first with a clearer sentence.
    public static func tokenizer(gguf m: GGUFTokenizerMetadata, source: String = "GGUF metadata") throws(TokenizerError) -> BPETokenizer {
        if m.model == "llama" {
            throw .unsupportedComponent(source: source, component: "GGUF tokenizer",
                                        detail: "tokenizer.ggml.model = llama (SentencePiece) is not supported yet; only gpt2 (byte-level BPE) tokenizers load")
        }
        return try BPETokenizer(gguf: m, source: source)
    }

    static func document(_ m: GGUFTokenizerMetadata, _ t: BPETokenizer) -> JSONText {
        .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(t.addedTokens.map(addedToken))),
            ("normalizer", .null),
            ("pre_tokenizer", preTokenizer(t.preTokenizer)),
            ("post_processor", postProcessor(t.template, vocab: m.tokens)),
            ("decoder", byteLevel(addPrefixSpace: true, useRegex: true)),
            ("model", model(m, ignoreMerges: t.ignoreMerges)),
        ])
    }

    private static func addedToken(_ a: AddedToken) -> JSONText {
        .object([("id", .int(a.id)), ("content", .string(a.content)), ("single_word", .bool(false)),
                 ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                 ("special", .bool(a.isSpecial))])
    }

    private static func byteLevel(addPrefixSpace: Bool, useRegex: Bool) -> JSONText {
        .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
                 ("trim_offsets", .bool(true)), ("use_regex", .bool(useRegex))])
    }

    /// Each pipeline as Hugging Face writes it for the models that use it (GPT-2, SmolLM2,
    /// LLaMA-3), which is also what the loader maps back to the same `BPEPreTokenizer`.
    private static func preTokenizer(_ p: BPEPreTokenizer) -> JSONText {
        switch p {
        case .gpt2:
            return byteLevel(addPrefixSpace: false, useRegex: true)
        case .smollm:
            return .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Digits")), ("individual_digits", .bool(true))]),
                byteLevel(addPrefixSpace: false, useRegex: true),
            ]))])
        case .llama3:
            return .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(TokenizerLoader.llama3Pattern))])),
                         ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                byteLevel(addPrefixSpace: false, useRegex: false),
            ]))])
        }
    }

    /// GGUF's add_bos_token / add_eos_token as a TemplateProcessing (HF's own form for Llama);
    /// null when nothing is added.
    private static func postProcessor(_ template: SpecialTokenTemplate, vocab: [String]) -> JSONText {
        guard template != .none else { return .null }
        func special(_ id: Int) -> JSONText { .object([("SpecialToken", .object([("id", .string(vocab[id])), ("type_id", .int(0))]))]) }
        func sequence(_ name: String, _ typeID: Int) -> JSONText {
            .object([("Sequence", .object([("id", .string(name)), ("type_id", .int(typeID))]))])
        }
        let prefix = template.prefix.map(special), suffix = template.suffix.map(special)
        var specials: [(String, JSONText)] = []
        for id in template.prefix + template.suffix where !specials.contains(where: { $0.0 == vocab[id] }) {
            specials.append((vocab[id], .object([("id", .string(vocab[id])), ("ids", .array([.int(id)])),
                                                 ("tokens", .array([.string(vocab[id])]))])))
        }
        return .object([
            ("type", .string("TemplateProcessing")),
            ("single", .array(prefix + [sequence("A", 0)] + suffix)),
            ("pair", .array(prefix + [sequence("A", 0)] + suffix + prefix + [sequence("B", 1)] + suffix)),
            ("special_tokens", .object(specials)),
        ])
    }

    private static func model(_ m: GGUFTokenizerMetadata, ignoreMerges: Bool) -> JSONText {
        // A JSON object cannot hold a token twice; the first id wins, as in BPETokenizer's lookup.
        var seen = Set<String>()
        var vocab: [(String, JSONText)] = []
        vocab.reserveCapacity(m.tokens.count)
        for (id, token) in m.tokens.enumerated() where seen.insert(token).inserted { vocab.append((token, .int(id))) }
        return .object([
            ("type", .string("BPE")),
            ("dropout", .null),
            // No unknown token: a byte with no symbol (SmolLM2 lacks 21) is then dropped by HF's
            // BPE, as by llama.cpp and BPETokenizer; with one, HF would emit it instead.
            ("unk_token", .null),
            ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null),
            ("fuse_unk", .bool(false)),
            ("byte_fallback", .bool(false)),
            ("ignore_merges", .bool(ignoreMerges)),
            ("vocab", .object(vocab)),
            ("merges", .array(m.merges.map { merge in
                let (l, r) = split(merge)
                return .array([.string(l), .string(r)])
            })),
        ])
    }

    /// "left right" at the first space after the first character, as BPETokenizer splits a
    /// GGUF merge (the merges were validated there).
    private static func split(_ merge: String) -> (String, String) {
        let scalars = merge.unicodeScalars
        guard let space = scalars.dropFirst().firstIndex(of: " ") else { return (merge, "") }
        return (String(scalars[..<space]), String(scalars[scalars.index(after: space)...]))
    }
}
