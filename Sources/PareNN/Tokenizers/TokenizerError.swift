/// Why a tokenizer could not be built or an input could not be tokenized: one sentence naming the
/// source (a file path, or "GGUF metadata") and what is wrong with it.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(source: String, reason: String)
    case notJSON(source: String, reason: String)
    case missingField(source: String, field: String)
    case unsupportedModel(source: String, type: String)
    case unsupportedComponent(source: String, component: String, detail: String)
    case unknownMergeToken(source: String, merge: String, index: Int)
    case badMerge(source: String, merge: String, index: Int)
    case missingByteSymbols(source: String, count: Int)
    case badTokenID(source: String, what: String, id: Int, vocabularySize: Int)
    case emptyVocabulary(source: String)
    case invalidUTF8(source: String, byteOffset: Int)

    public var description: String {
        switch self {
        case .unreadable(let s, let reason):
            "Tokenizer file '\(s)' could not be read: \(reason)."
        case .notJSON(let s, let reason):
            "Tokenizer file '\(s)' is not valid JSON (\(reason)); expected a Hugging Face tokenizer.json."
        case .missingField(let s, let field):
            "Tokenizer '\(s)' has no usable '\(field)' field."
        case .unsupportedModel(let s, let type):
            "Tokenizer '\(s)' has model type '\(type)', but only byte-level BPE and WordPiece are supported."
        case .unsupportedComponent(let s, let component, let detail):
            "Tokenizer '\(s)' uses an unsupported \(component): \(detail)."
        case .unknownMergeToken(let s, let merge, let index):
            "Tokenizer '\(s)' merge \(index) ('\(merge)') refers to a token that is not in the vocabulary."
        case .badMerge(let s, let merge, let index):
            "Tokenizer '\(s)' merge \(index) ('\(merge)') is not two tokens separated by one space."
        case .missingByteSymbols(let s, let count):
            "Tokenizer '\(s)' lacks \(count) of the 256 byte-level symbols, so its vocabulary is not GPT-2's byte-level alphabet."
        case .badTokenID(let s, let what, let id, let size):
            "Tokenizer '\(s)' names token id \(id) as its \(what), outside its vocabulary of \(size) tokens."
        case .emptyVocabulary(let s):
            "Tokenizer '\(s)' has an empty vocabulary."
        case .invalidUTF8(let s, let offset):
            "Text '\(s)' is not valid UTF-8 (first bad byte at offset \(offset))."
        }
    }
}
