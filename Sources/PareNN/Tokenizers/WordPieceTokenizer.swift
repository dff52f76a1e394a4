import Foundation

/// WordPiece (BERT): normalized, pre-tokenized words split greedily into the longest vocabulary
/// entries from the left, continuations written with `##`; a word with no such split, or longer
/// than `maxInputCharsPerWord`, becomes one unknown token.
public struct WordPieceTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosID: Int? = nil
    public let eosID: Int? = nil
    public let padID: Int?
    public let unknownID: Int?
    public let template: SpecialTokenTemplate
    public let normalizer: BertNormalizer
    public let continuingPrefix: String
    public let maxInputCharsPerWord: Int
    public let addedTokens: [AddedToken]
    /// The truncation length the tokenizer file asks for (all-MiniLM's says 128). Not applied by
    /// `encode(_:)`: pass it, or the model's own limit, as `maxLength` where truncation is wanted.
    public let fileMaxLength: Int?
    /// [CLS] and [SEP], when the vocabulary has them.
    public let clsID: Int?
    public let sepID: Int?

    private let vocab: [String]
    private let idForToken: [String: Int]
    private let specialIDs: Set<Int>
    private let matcher: AddedTokenMatcher

    /// - Parameters:
    ///   - vocab: the tokens, the index is the id (vocab.txt's lines).
    ///   - template: ids around a sequence; nil means [CLS] … [SEP] when both are in the vocabulary.
    ///   - addedTokens: matched whole in the raw text; nil means every `[XXX]` entry among
    ///     [PAD] [UNK] [CLS] [SEP] [MASK] present in the vocabulary.
    public init(vocab: [String], unknownToken: String = "[UNK]", continuingPrefix: String = "##",
                maxInputCharsPerWord: Int = 100, normalizer: BertNormalizer = BertNormalizer(),
                template: SpecialTokenTemplate? = nil, addedTokens: [AddedToken]? = nil,
                padToken: String = "[PAD]", fileMaxLength: Int? = nil, source: String = "tokenizer") throws(TokenizerError) {
        guard !vocab.isEmpty else { throw .emptyVocabulary(source: source) }
        var idForToken: [String: Int] = [:]
        for (id, token) in vocab.enumerated() where idForToken[token] == nil { idForToken[token] = id }
        let added = addedTokens ?? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { t in
            idForToken[t].map { AddedToken(id: $0, content: t) }
        }
        for t in added where !(0..<vocab.count).contains(t.id) {
            throw .badTokenID(source: source, what: "added token '\(t.content)'", id: t.id, vocabularySize: vocab.count)
        }
        let cls = idForToken["[CLS]"], sep = idForToken["[SEP]"]
        let template = template ?? (cls != nil && sep != nil ? SpecialTokenTemplate(prefix: [cls!], suffix: [sep!]) : .none)
        for id in template.prefix + template.suffix where !(0..<vocab.count).contains(id) {
            throw .badTokenID(source: source, what: "post-processor token", id: id, vocabularySize: vocab.count)
        }
        self.vocab = vocab
        self.vocabularySize = vocab.count
        self.idForToken = idForToken
        self.unknownID = idForToken[unknownToken]
        self.padID = idForToken[padToken]
        self.clsID = cls; self.sepID = sep
        self.template = template
        self.normalizer = normalizer
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.addedTokens = added
        self.specialIDs = Set(added.filter(\.isSpecial).map(\.id))
        self.matcher = AddedTokenMatcher(added)
        self.fileMaxLength = fileMaxLength
    }

    /// BERT's vocab.txt, one token per line (the line number from 0 is the id).
    public init(vocabFile url: URL, normalizer: BertNormalizer = BertNormalizer()) throws(TokenizerError) {
        let text = try TokenizerText.load(contentsOf: url)
        // "\r\n" is one Character in Swift, so both line ends are named.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        try self.init(vocab: lines, normalizer: normalizer, source: url.path)
    }

    public func token(for id: Int) -> String? { vocab.indices.contains(id) ? vocab[id] : nil }
    public func id(for token: String) -> Int? { idForToken[token] }

    public func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int] {
        var body: [Int] = []
        if matcher.isEmpty {
            encodeText(text, into: &body)
        } else {
            let scalars = text.unicodeScalars.map(\.value)
            scalars.withUnsafeBufferPointer { s in
                matcher.split(s, text: { range in
                    var v = String.UnicodeScalarView()
                    for i in range { v.append(Unicode.Scalar(s[i])!) }  // from a String: valid
                    encodeText(String(v), into: &body)
                }, token: { body.append($0) })
            }
        }
        return template.apply(body, addSpecialTokens: addSpecialTokens, maxLength: maxLength)
    }

    private func encodeText(_ text: String, into out: inout [Int]) {
        // Words repeat: a novel has a few thousand distinct ones among its hundreds of thousands.
        var cache: [String: [Int]] = [:]
        for word in BertNormalizer.preTokenize(normalizer.normalize(text)) {
            if let ids = cache[word] { out.append(contentsOf: ids); continue }
            var ids: [Int] = []
            encodeWord(word, into: &ids)
            cache[word] = ids
            out.append(contentsOf: ids)
        }
    }

    private func encodeWord(_ word: String, into out: inout [Int]) {
        let chars = Array(word.unicodeScalars)
        guard chars.count <= maxInputCharsPerWord else { if let unk = unknownID { out.append(unk) }; return }
        var pieces: [Int] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: Int?
            while start < end {
                var v = String.UnicodeScalarView(chars[start..<end])
                if start > 0 { v = String.UnicodeScalarView(continuingPrefix.unicodeScalars) ; v.append(contentsOf: chars[start..<end]) }
                if let id = idForToken[String(v)] { found = id; break }
                end -= 1
            }
            guard let id = found else { if let unk = unknownID { out.append(unk) }; return }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }

    /// Hugging Face's WordPiece decoder: tokens joined by spaces, `##` continuations glued on,
    /// and the clean-up of spaces before punctuation and contractions.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out = ""
        var first = true
        for id in ids {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            var token = vocab.indices.contains(id) ? vocab[id] : "\u{FFFD}"
            if !first {
                if token.hasPrefix(continuingPrefix) { token.removeFirst(continuingPrefix.count) } else { token = " " + token }
            }
            first = false
            out += Self.cleanup(token)
        }
        return out
    }

    static func cleanup(_ s: String) -> String {
        var s = s
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }
}
