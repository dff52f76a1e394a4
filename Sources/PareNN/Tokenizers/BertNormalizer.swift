import Foundation

/// BERT's text clean-up before WordPiece, as Hugging Face's BertNormalizer and
/// BertPreTokenizer do it, in their order: drop control characters and map whitespace to a
/// space; put spaces around CJK ideographs; strip accents (NFD, then drop nonspacing marks);
/// lower-case each character; then split at whitespace and around each punctuation character.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    /// nil follows `lowercase`, as in BERT's original code.
    public var stripAccents: Bool?
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText; self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents; self.lowercase = lowercase
    }

    public func normalize(_ text: String) -> String {
        var v = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
                if Self.isWhitespace(s) { v.append(" "); continue }
            }
            if handleChineseChars && Self.isChinese(s.value) { v.append(" "); v.append(s); v.append(" "); continue }
            v.append(s)
        }
        var out = String(v)
        // NFD leaves ASCII as it is: skip it for the common all-ASCII text.
        if stripAccents ?? lowercase, !out.utf8.allSatisfy({ $0 < 0x80 }) {
            var stripped = String.UnicodeScalarView()
            for s in out.decomposedStringWithCanonicalMapping.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
                stripped.append(s)
            }
            out = String(stripped)
        }
        if lowercase {
            var lowered = String.UnicodeScalarView()
            for s in out.unicodeScalars {
                // Per character, without context (Σ is always σ), as Rust's char::to_lowercase.
                if s.value < 0x80 { lowered.append(s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(s.value + 0x20)! : s) }
                else { lowered.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
            }
            out = String(lowered)
        }
        return out
    }

    /// BertPreTokenizer: words split at whitespace (dropped) and at punctuation (kept, one per piece).
    public static func preTokenize(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() { if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() } }
        for s in text.unicodeScalars {
            if s.properties.isWhitespace { flush() }
            else if isPunctuation(s) { flush(); words.append(String(s)) }
            else { current.append(s) }
        }
        flush()
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// Categories Cc, Cf, Cs, Co, Cn except tab, newline, carriage return (those are whitespace).
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (which includes symbols such as `$+<=>^|~`) or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as words of their own.
    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
