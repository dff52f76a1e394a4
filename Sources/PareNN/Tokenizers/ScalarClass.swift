/// The three Unicode classes the byte-level pre-tokenizer regexes test (`\p{L}`, `\p{N}`, `\s`),
/// looked up once per scalar so the scanners compare small integers instead of Unicode properties.
enum ScalarClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 3

    /// ASCII is most text: a table avoids the Unicode property lookup for it.
    private static let ascii: [UInt8] = (0..<128).map { classifySlow(Unicode.Scalar(UInt8($0))) }

    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        if value < 128 { return ascii[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return other }
        return classifySlow(scalar)
    }

    /// `\s` is Unicode's White_Space property, as in Oniguruma (Hugging Face) and Swift Regex.
    static func classifySlow(_ s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        if p.isWhitespace { return space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }
}
