import Foundation
import PareTensor

/// The data spec `text:FILE[,tokens=N][,context=C]` of a language model's perplexity: the
/// first N tokens of FILE (default 4096) in non-overlapping windows of C (default 512).
public struct TextSpec: Sendable, Equatable, Codable {
    public var path: String
    public var tokens: Int
    public var context: Int

    public static let defaultTokens = 4096
    public static let defaultContext = 512
    static let usage = "text:FILE[,tokens=N][,context=C] (N tokens, default 4096, in windows of C, default 512, at least 2)"

    public init(path: String, tokens: Int = TextSpec.defaultTokens, context: Int = TextSpec.defaultContext) {
        self.path = path
        self.tokens = tokens
        self.context = context
    }

    /// Parses `text:FILE[,tokens=N][,context=C]` (the `text:` prefix may be left out). Throws
    /// `EvaluationDataError.badSpec` for an empty path, an unknown or repeated option, a value
    /// that is not a positive whole number, or context < 2.
    public static func parse(_ spec: String) throws -> TextSpec {
        let parts = try DataSpec.parse(spec, kind: "text", keys: ["tokens", "context"], usage: usage)
        let result = TextSpec(path: parts.path, tokens: parts.options["tokens"] ?? defaultTokens,
                              context: parts.options["context"] ?? defaultContext)
        guard result.context >= 2 else {
            throw EvaluationDataError.badSpec(spec: spec, problem: "has context=\(result.context), but a window needs at least 2 tokens to predict one",
                                              usage: usage)
        }
        return result
    }

    /// Refuses windows longer than the model can attend over (`maximum`: its
    /// `max_position_embeddings`, which the decoder itself does not enforce).
    public func check(maxContext maximum: Int) throws {
        guard context <= maximum else { throw EvaluationDataError.contextTooLong(context: context, maximum: maximum) }
    }

    /// The file name and every option, defaults included, so equal names mean equal windows.
    public var name: String {
        "\(URL(fileURLWithPath: path).lastPathComponent),tokens=\(tokens),context=\(context)"
    }
}

/// A text cut into windows of token ids for perplexity: the first `spec.tokens` tokens of the
/// file, tokenized without special tokens (MODELS.md's reference adds no BOS), in consecutive
/// non-overlapping windows of `spec.context`. The last, shorter window is kept when it has at
/// least 2 tokens (one predicted position) and dropped otherwise, so every window predicts
/// something. A text with fewer tokens than asked is used whole: `tokenCount` says how many
/// tokens the windows really hold.
public struct TextWindows: Sendable, Equatable {
    public var spec: TextSpec
    public var name: String
    public var windows: [[Int]]
    /// The tokens in `windows` (≤ spec.tokens; fewer when the text is shorter, or its last
    /// single token was dropped).
    public var tokenCount: Int
    /// SHA-256 (hex) of the window length as Int64 LE then every id as Int64 LE in order: the
    /// ids depend on the tokenizer and the context changes what is scored, the file name does not.
    public var contentHash: String

    /// Positions that predict a next token: Σ (window length − 1).
    public var predictedPositions: Int { windows.reduce(0) { $0 + $1.count - 1 } }

    public init(spec: TextSpec, name: String? = nil, windows: [[Int]]) {
        self.spec = spec
        self.name = name ?? spec.name
        self.windows = windows
        tokenCount = windows.reduce(0) { $0 + $1.count }
        var bytes = Bytes.of([Int64(spec.context)])
        for w in windows { bytes += Bytes.of(w.map { Int64($0) }) }
        contentHash = SHA256.hex(bytes)
    }

    /// The first `spec.tokens` of `ids` cut into windows as described above.
    public init(spec: TextSpec, ids: [Int], name: String? = nil) {
        self.init(spec: spec, name: name, windows: Self.cut(Array(ids.prefix(spec.tokens)), context: spec.context))
    }

    /// Consecutive windows of `context` ids; a last window of fewer than 2 ids is dropped.
    public static func cut(_ ids: [Int], context: Int) -> [[Int]] {
        precondition(context >= 2, "windows need at least 2 tokens")
        return stride(from: 0, to: ids.count, by: context)
            .map { Array(ids[$0..<min($0 + context, ids.count)]) }
            .filter { $0.count >= 2 }
    }

    /// Reads `spec.path` and tokenizes it with `tokenizer` (no special tokens). Throws
    /// `EvaluationDataError` when the file cannot be read or gives fewer than 2 tokens, and
    /// `TokenizerError.invalidUTF8` naming the file when it is not UTF-8.
    public static func load(spec: TextSpec, tokenizer: any Tokenizer) throws -> TextWindows {
        let text = try TokenizerText.string(fromUTF8: try readDataFile(spec.path), source: spec.path)
        let ids = leadingTokens(of: text, count: spec.tokens, tokenizer: tokenizer)
        let windows = TextWindows(spec: spec, ids: ids)
        guard !windows.windows.isEmpty else { throw EvaluationDataError.tooFewTokens(file: spec.path, count: ids.count) }
        return windows
    }

    /// Tokens that must follow the ones kept before a prefix's tokenization is trusted.
    static let safetyMargin = 64

    /// The first `count` ids of `tokenizer.encode(text)` (no special tokens), without
    /// tokenizing all of a long text: a prefix ending at a line break is tokenized, doubled
    /// until it gives `count + safetyMargin` ids (or is the whole text), and cut to `count`.
    /// Why that equals cutting the whole text's ids: every tokenizer here splits the text into
    /// pieces before encoding them (byte-level BPE's regex pre-tokenizer, WordPiece's whitespace
    /// and punctuation split), and a split decision looks at most one character ahead, so
    /// pieces well before the prefix's end are the same pieces as in the whole text. Only the
    /// last few pieces (the final line break, which may join the whitespace that follows in
    /// the full text) can differ, and the margin keeps them out. A test checks it on Emma.
    static func leadingTokens(of text: String, count: Int, tokenizer: any Tokenizer) -> [Int] {
        let utf8 = text.utf8
        var length = max(4096, count * 8)   // ~4 bytes per English token, with room to spare
        while true {
            guard length < utf8.count else { return Array(tokenizer.encode(text, addSpecialTokens: false, maxLength: nil).prefix(count)) }
            var end = utf8.index(utf8.startIndex, offsetBy: length)
            // Cut after a line break, at a character boundary.
            while end < utf8.endIndex && utf8[end] != UInt8(ascii: "\n") { end = utf8.index(after: end) }
            guard end < utf8.endIndex else { return Array(tokenizer.encode(text, addSpecialTokens: false, maxLength: nil).prefix(count)) }
            let prefix = String(text[..<utf8.index(after: end)])
            let ids = tokenizer.encode(prefix, addSpecialTokens: false, maxLength: nil)
            if ids.count >= count + safetyMargin { return Array(ids.prefix(count)) }
            length *= 2
        }
    }
}
