import Foundation

/// Builds a tokenizer from a Hugging Face tokenizer.json (BPE or WordPiece) or from the
/// tokenizer entries of GGUF metadata.
public enum TokenizerLoader {
    /// A tokenizer.json file; its `model.type` picks BPE or WordPiece. Padding in the file is
    /// ignored (ids are never padded); its truncation length is kept as `fileMaxLength` only.
    public static func load(tokenizerJSON url: URL) throws(TokenizerError) -> any Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(source: url.path, reason: (error as NSError).localizedDescription)
        }
        return try load(tokenizerJSON: data, source: url.path)
    }

    /// A model directory's tokenizer: its tokenizer.json, else (BERT) its vocab.txt with BERT's
    /// lower-casing defaults.
    public static func load(directory: URL) throws(TokenizerError) -> any Tokenizer {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return try load(tokenizerJSON: json) }
        let vocab = directory.appendingPathComponent("vocab.txt")
        if FileManager.default.fileExists(atPath: vocab.path) { return try WordPieceTokenizer(vocabFile: vocab) }
        throw .unreadable(source: directory.path, reason: "the directory has neither tokenizer.json nor vocab.txt")
    }

    public static func load(tokenizerJSON data: Data, source: String) throws(TokenizerError) -> any Tokenizer {
        let root = try TokenizerJSON.parse(data, source: source)
        let model = try root.object("model")
        switch try model.string("type") {
        case "BPE": return try bpe(root, model)
        case "WordPiece": return try wordPiece(root, model)
        case let other: throw .unsupportedModel(source: source, type: other)
        }
    }

    /// The tokenizer described by GGUF metadata (`tokenizer.ggml.*`), for the GGUF reader to call.
    public static func load(gguf m: GGUFTokenizerMetadata, source: String = "GGUF metadata") throws(TokenizerError) -> any Tokenizer {
        try BPETokenizer(gguf: m, source: source)
    }

    // MARK: tokenizer.json, BPE

    private static func bpe(_ root: TokenizerJSON, _ model: TokenizerJSON) throws(TokenizerError) -> BPETokenizer {
        let source = root.source
        guard (try? model.value("byte_fallback"))?.bool != true else {
            throw .unsupportedComponent(source: source, component: "BPE option", detail: "byte_fallback (SentencePiece-style BPE)")
        }
        if let n = root.optional("normalizer"), !n.isNull {
            throw .unsupportedComponent(source: source, component: "normalizer for byte-level BPE", detail: n.typeName)
        }
        let preTokenizer = try bpePreTokenizer(root.optional("pre_tokenizer"), source: source)
        let vocabMap = try model.object("vocab").dictionary()
        let added = try addedTokens(root)
        var size = 0
        for (_, v) in vocabMap { size = max(size, (try v.int()) + 1) }
        for t in added { size = max(size, t.id + 1) }
        var vocab = [String](repeating: "", count: size)
        for (k, v) in vocabMap { vocab[try v.int()] = k }
        for t in added { vocab[t.id] = t.content }
        var pairs: [(String, String)] = []
        let merges = try model.array("merges")
        pairs.reserveCapacity(merges.count)
        for (index, m) in merges.enumerated() {
            if let s = m.stringValue {  // the older "left right" form
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .badMerge(source: source, merge: s, index: index) }
                pairs.append((String(parts[0]), String(parts[1])))
            } else if let a = m.arrayValue, a.count == 2, let l = a[0].stringValue, let r = a[1].stringValue {
                pairs.append((l, r))
            } else {
                throw .badMerge(source: source, merge: "\(m.raw)", index: index)
            }
        }
        let template = try postProcessor(root, idFor: { name in
            vocabMap[name].flatMap { try? $0.int() } ?? added.first { $0.content == name }?.id
        })
        func id(of name: String) -> Int? {
            guard let v = try? model.value(name), let s = v.stringValue else { return nil }
            return vocabMap[s].flatMap { try? $0.int() }
        }
        // tokenizer.json names no BOS/EOS; the usual special tokens, where present, stand in.
        func firstAdded(_ names: [String]) -> Int? { names.lazy.compactMap { n in added.first { $0.content == n }?.id }.first }
        return try BPETokenizer(
            vocab: vocab, mergePairs: pairs, preTokenizer: preTokenizer,
            bosID: template.prefix.first ?? firstAdded(["<|begin_of_text|>", "<s>", "<|im_start|>", "<|endoftext|>"]),
            eosID: template.suffix.last ?? firstAdded(["<|end_of_text|>", "</s>", "<|im_end|>", "<|endoftext|>"]),
            padID: nil, unknownID: id(of: "unk_token"), template: template, addedTokens: added,
            ignoreMerges: (try? model.value("ignore_merges"))?.bool ?? false, source: source)
    }

    /// Recognises the three byte-level pipelines Pare implements and nothing else.
    private static func bpePreTokenizer(_ p: TokenizerJSON?, source: String) throws(TokenizerError) -> BPEPreTokenizer {
        func unsupported(_ detail: String) -> TokenizerError {
            .unsupportedComponent(source: source, component: "pre-tokenizer", detail: detail)
        }
        guard let p, !p.isNull else { throw unsupported("none (byte-level BPE needs ByteLevel)") }
        func isByteLevel(_ q: TokenizerJSON, regex: Bool) -> Bool {
            q.typeName == "ByteLevel" && ((try? q.value("use_regex"))?.bool ?? true) == regex
                && ((try? q.value("add_prefix_space"))?.bool ?? false) == false
        }
        if isByteLevel(p, regex: true) { return .gpt2 }
        if p.typeName == "Sequence", let steps = (try? p.value("pretokenizers"))?.arrayValue {
            let parts = steps.map { TokenizerJSON(raw: $0.raw, source: source) }
            if parts.count == 2, parts[0].typeName == "Digits", (try? parts[0].value("individual_digits"))?.bool == true,
               isByteLevel(parts[1], regex: true) { return .smollm }
            if parts.count == 2, parts[0].typeName == "Split",
               let pattern = (try? parts[0].value("pattern"))?.optional("Regex")?.stringValue,
               pattern == llama3Pattern, isByteLevel(parts[1], regex: false) { return .llama3 }
        }
        throw unsupported("\(p.typeName) (supported: ByteLevel; Digits+ByteLevel as SmolLM; LLaMA-3's Split+ByteLevel)")
    }

    static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    // MARK: tokenizer.json, WordPiece

    private static func wordPiece(_ root: TokenizerJSON, _ model: TokenizerJSON) throws(TokenizerError) -> WordPieceTokenizer {
        let source = root.source
        let vocabMap = try model.object("vocab").dictionary()
        var size = 0
        for (_, v) in vocabMap { size = max(size, (try v.int()) + 1) }
        let added = try addedTokens(root)
        for t in added { size = max(size, t.id + 1) }
        var vocab = [String](repeating: "", count: size)
        for (k, v) in vocabMap { vocab[try v.int()] = k }
        for t in added { vocab[t.id] = t.content }

        var normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        if let n = root.optional("normalizer"), !n.isNull {
            guard n.typeName == "BertNormalizer" else {
                throw .unsupportedComponent(source: source, component: "normalizer for WordPiece", detail: n.typeName)
            }
            normalizer = BertNormalizer(cleanText: (try? n.value("clean_text"))?.bool ?? true,
                                        handleChineseChars: (try? n.value("handle_chinese_chars"))?.bool ?? true,
                                        stripAccents: (try? n.value("strip_accents"))?.bool,
                                        lowercase: (try? n.value("lowercase"))?.bool ?? true)
        }
        if let p = root.optional("pre_tokenizer"), !p.isNull, p.typeName != "BertPreTokenizer" {
            throw .unsupportedComponent(source: source, component: "pre-tokenizer for WordPiece", detail: p.typeName)
        }
        let template = try postProcessor(root, idFor: { name in vocabMap[name].flatMap { try? $0.int() } })
        let truncation = root.optional("truncation").flatMap { $0.isNull ? nil : $0.optional("max_length")?.intValue }
        return try WordPieceTokenizer(
            vocab: vocab, unknownToken: (try? model.value("unk_token"))?.stringValue ?? "[UNK]",
            continuingPrefix: (try? model.value("continuing_subword_prefix"))?.stringValue ?? "##",
            maxInputCharsPerWord: (try? model.value("max_input_chars_per_word"))?.intValue ?? 100,
            normalizer: normalizer, template: template, addedTokens: added.isEmpty ? nil : added,
            padToken: root.optional("padding")?.optional("pad_token")?.stringValue ?? "[PAD]",
            fileMaxLength: truncation, source: source)
    }

    // MARK: shared parts

    private static func addedTokens(_ root: TokenizerJSON) throws(TokenizerError) -> [AddedToken] {
        guard let list = root.optional("added_tokens"), !list.isNull else { return [] }
        var out: [AddedToken] = []
        for item in try list.arrayItems() {
            out.append(AddedToken(id: try item.int("id"), content: try item.string("content"),
                                  isSpecial: (try? item.value("special"))?.bool ?? false))
        }
        return out
    }

    /// The single-sequence ids of the post-processor: TemplateProcessing, BertProcessing,
    /// RobertaProcessing, ByteLevel (adds none) or a Sequence of those.
    private static func postProcessor(_ root: TokenizerJSON, idFor: (String) -> Int?) throws(TokenizerError) -> SpecialTokenTemplate {
        let source = root.source
        guard let p = root.optional("post_processor"), !p.isNull else { return .none }
        func unsupported(_ detail: String) -> TokenizerError {
            .unsupportedComponent(source: source, component: "post-processor", detail: detail)
        }
        func parse(_ p: TokenizerJSON) throws(TokenizerError) -> SpecialTokenTemplate {
            switch p.typeName {
            case "ByteLevel": return .none
            case "BertProcessing", "RobertaProcessing":
                // "cls": ["[CLS]", 101], "sep": ["[SEP]", 102]
                guard let cls = (try? p.value("cls"))?.arrayValue, cls.count == 2, let c = cls[1].intValue,
                      let sep = (try? p.value("sep"))?.arrayValue, sep.count == 2, let s = sep[1].intValue
                else { throw unsupported("\(p.typeName) without cls/sep ids") }
                return SpecialTokenTemplate(prefix: [c], suffix: [s])
            case "TemplateProcessing":
                var prefix: [Int] = [], suffix: [Int] = [], seenSequence = false
                let specials = p.optional("special_tokens")
                for piece in try p.arrayItems("single") {
                    if piece.optional("Sequence") != nil { seenSequence = true; continue }
                    guard let name = piece.optional("SpecialToken")?.optional("id")?.stringValue else {
                        throw unsupported("TemplateProcessing piece \(piece.raw)")
                    }
                    let ids = specials?.optional(name)?.optional("ids")?.arrayValue?.compactMap(\.intValue)
                    guard let ids = ids ?? idFor(name).map({ [$0] }) else {
                        throw unsupported("TemplateProcessing names '\(name)', which has no id")
                    }
                    if seenSequence { suffix += ids } else { prefix += ids }
                }
                return SpecialTokenTemplate(prefix: prefix, suffix: suffix)
            case "Sequence":
                var t = SpecialTokenTemplate.none
                for q in try p.arrayItems("processors") {
                    let u = try parse(q)
                    t = SpecialTokenTemplate(prefix: u.prefix + t.prefix, suffix: t.suffix + u.suffix)
                }
                return t
            default: throw unsupported(p.typeName)
            }
        }
        return try parse(p)
    }
}

/// The tokenizer entries of GGUF metadata, as llama.cpp names them (`tokenizer.ggml.*`).
public struct GGUFTokenizerMetadata: Sendable {
    /// `tokenizer.ggml.model`: "gpt2" for byte-level BPE.
    public var model: String
    /// `tokenizer.ggml.pre`, e.g. "smollm", "llama-bpe", "default".
    public var pre: String?
    public var tokens: [String]
    public var merges: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int]?
    public var bosID: Int?, eosID: Int?, padID: Int?, unknownID: Int?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token`; absent means false for BPE, as in llama.cpp.
    public var addBOS: Bool?, addEOS: Bool?

    public init(model: String, pre: String?, tokens: [String], merges: [String], tokenTypes: [Int]? = nil,
                bosID: Int? = nil, eosID: Int? = nil, padID: Int? = nil, unknownID: Int? = nil,
                addBOS: Bool? = nil, addEOS: Bool? = nil) {
        self.model = model; self.pre = pre; self.tokens = tokens; self.merges = merges; self.tokenTypes = tokenTypes
        self.bosID = bosID; self.eosID = eosID; self.padID = padID; self.unknownID = unknownID
        self.addBOS = addBOS; self.addEOS = addEOS
    }
}

extension BPETokenizer {
    /// From GGUF metadata: control (3) and user-defined (4) tokens are matched whole in the text,
    /// as llama.cpp does when it parses special tokens; control tokens are the special ones.
    public init(gguf m: GGUFTokenizerMetadata, source: String = "GGUF metadata") throws(TokenizerError) {
        guard m.model == "gpt2" else { throw .unsupportedModel(source: source, type: "tokenizer.ggml.model = \(m.model)") }
        let preName = m.pre ?? "default"
        guard let pre = BPEPreTokenizer(ggufName: preName) else {
            throw .unsupportedComponent(source: source, component: "pre-tokenizer",
                                        detail: "tokenizer.ggml.pre = \(preName) (supported: default, gpt2, smollm, llama-bpe)")
        }
        var added: [AddedToken] = []
        if let types = m.tokenTypes {
            for (id, type) in types.enumerated() where (type == 3 || type == 4) && id < m.tokens.count {
                added.append(AddedToken(id: id, content: m.tokens[id], isSpecial: type == 3))
            }
        }
        // The unknown id may be set in metadata even when byte-level BPE never needs it; keep it
        // only when it names a token.
        let unk = m.unknownID.flatMap { (0..<m.tokens.count).contains($0) ? $0 : nil }
        try self.init(vocab: m.tokens, merges: m.merges, preTokenizer: pre, bosID: m.bosID, eosID: m.eosID,
                      padID: m.padID, unknownID: unk, addBOS: m.addBOS ?? false, addEOS: m.addEOS ?? false,
                      addedTokens: added, source: source)
    }
}
