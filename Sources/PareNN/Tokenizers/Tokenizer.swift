import Foundation

/// Text to token ids and back, for any model family: byte-level BPE (GPT-2, LLaMA-3, SmolLM2)
/// and WordPiece (BERT). Built from a Hugging Face tokenizer.json (`TokenizerLoader.load`) or,
/// for BPE, from GGUF metadata (`TokenizerLoader.load(gguf:)`).
public protocol Tokenizer: Sendable {
    /// The number of ids, including added and special tokens.
    var vocabularySize: Int { get }
    var bosID: Int? { get }
    var eosID: Int? { get }
    var padID: Int? { get }
    var unknownID: Int? { get }
    /// The ids the model's post-processor puts around a sequence ([CLS] … [SEP], or BOS).
    var template: SpecialTokenTemplate { get }

    /// The ids of `text`; with `addSpecialTokens` wrapped in `template`. With `maxLength`, the
    /// text's own ids are cut at the end so the result, special tokens included, has at most
    /// `maxLength` ids (Hugging Face's truncation of a single sequence).
    func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int]

    /// The text of `ids`; ids outside the vocabulary become U+FFFD, invalid UTF-8 too.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String

    /// The vocabulary entry of `id` as stored (byte-level BPE entries in GPT-2's byte alphabet).
    func token(for id: Int) -> String?
    func id(for token: String) -> Int?
}

extension Tokenizer {
    /// The ids as the model sees them: special tokens added as the model's post-processor (or
    /// `addBOS`) adds them, no truncation.
    public func encode(_ text: String) -> [Int] { encode(text, addSpecialTokens: true, maxLength: nil) }

    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecialTokens: false) }

    /// Encodes raw bytes, which must be UTF-8 (a Swift String cannot hold anything else).
    public func encode(bytes: some Collection<UInt8>, source: String = "input",
                       addSpecialTokens: Bool = true, maxLength: Int? = nil) throws(TokenizerError) -> [Int] {
        encode(try TokenizerText.string(fromUTF8: bytes, source: source),
               addSpecialTokens: addSpecialTokens, maxLength: maxLength)
    }
}

/// The ids a post-processor adds around one sequence.
public struct SpecialTokenTemplate: Sendable, Equatable {
    public var prefix: [Int]
    public var suffix: [Int]
    public init(prefix: [Int] = [], suffix: [Int] = []) { self.prefix = prefix; self.suffix = suffix }
    public static let none = SpecialTokenTemplate()

    /// `body` wrapped, with the body cut so the whole fits in `maxLength` when given.
    func apply(_ body: [Int], addSpecialTokens: Bool, maxLength: Int?) -> [Int] {
        let added = addSpecialTokens ? prefix.count + suffix.count : 0
        var body = body
        if let maxLength, body.count + added > maxLength { body.removeLast(min(body.count, body.count + added - maxLength)) }
        return addSpecialTokens ? prefix + body + suffix : body
    }
}

/// A token matched whole in the raw text before any splitting (`<|im_start|>`, `[CLS]`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var isSpecial: Bool
    public init(id: Int, content: String, isSpecial: Bool = true) {
        self.id = id; self.content = content; self.isSpecial = isSpecial
    }
}

/// Reading text files for tokenization, with a clear error for bytes that are not UTF-8.
public enum TokenizerText {
    public static func string(fromUTF8 bytes: some Collection<UInt8>, source: String) throws(TokenizerError) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        throw .invalidUTF8(source: source, byteOffset: firstInvalidUTF8Offset(Array(bytes)))
    }

    public static func load(contentsOf url: URL) throws(TokenizerError) -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(source: url.path, reason: (error as NSError).localizedDescription)
        }
        return try string(fromUTF8: data, source: url.path)
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8Offset(_ b: [UInt8]) -> Int {
        var i = 0
        while i < b.count {
            let lead = b[i]
            let (n, minValue): (Int, UInt32) = lead < 0x80 ? (1, 0) : lead >= 0xC2 && lead < 0xE0 ? (2, 0x80)
                : lead >= 0xE0 && lead < 0xF0 ? (3, 0x800) : lead >= 0xF0 && lead < 0xF5 ? (4, 0x10000) : (0, 0)
            if n == 0 || i + n > b.count { return i }
            var v = n == 1 ? UInt32(lead) : UInt32(lead) & (0xFF >> (n + 1))
            if n > 1 {
                for k in 1..<n {
                    guard b[i + k] & 0xC0 == 0x80 else { return i }
                    v = v << 6 | UInt32(b[i + k] & 0x3F)
                }
            }
            if v < minValue || v > 0x10FFFF || (0xD800...0xDFFF).contains(v) { return i }
            i += n
        }
        return b.count
    }
}
