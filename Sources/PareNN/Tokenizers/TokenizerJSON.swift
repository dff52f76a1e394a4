import Foundation

/// A parsed tokenizer.json value with lookups that throw `TokenizerError` naming the file and
/// the missing field, so a malformed file is one sentence, never a crash.
struct TokenizerJSON {
    let raw: Any
    let source: String

    init(raw: Any, source: String) { self.raw = raw; self.source = source }

    static func parse(_ data: Data, source: String) throws(TokenizerError) -> TokenizerJSON {
        let raw: Any
        do { raw = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw .notJSON(source: source, reason: Self.shortReason(error))
        }
        guard raw is [String: Any] else { throw .notJSON(source: source, reason: "the top level is not an object") }
        return TokenizerJSON(raw: raw, source: source)
    }

    private static func shortReason(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return text.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: CharacterSet(charactersIn: ". ")) ?? "unreadable"
    }

    var isNull: Bool { raw is NSNull }
    var stringValue: String? { raw as? String }
    var arrayValue: [TokenizerJSON]? { (raw as? [Any])?.map { TokenizerJSON(raw: $0, source: source) } }
    var bool: Bool? {
        raw as? Bool
    }
    var intValue: Int? {
        if let i = raw as? Int { return i }
        if let n = raw as? NSNumber {
            let d = n.doubleValue
            return d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
        }
        return nil
    }
    /// The "type" of a component, for messages and dispatch.
    var typeName: String { (raw as? [String: Any])?["type"] as? String ?? "(no type)" }

    func optional(_ key: String) -> TokenizerJSON? {
        (raw as? [String: Any])?[key].map { TokenizerJSON(raw: $0, source: source) }
    }
    func value(_ key: String) throws(TokenizerError) -> TokenizerJSON {
        guard let v = optional(key) else { throw .missingField(source: source, field: key) }
        return v
    }
    func object(_ key: String) throws(TokenizerError) -> TokenizerJSON {
        let v = try value(key)
        guard v.raw is [String: Any] else { throw .missingField(source: source, field: key) }
        return v
    }
    func string(_ key: String) throws(TokenizerError) -> String {
        guard let s = try value(key).stringValue else { throw .missingField(source: source, field: key) }
        return s
    }
    func int(_ key: String) throws(TokenizerError) -> Int {
        guard let i = try value(key).intValue else { throw .missingField(source: source, field: key) }
        return i
    }
    func int() throws(TokenizerError) -> Int {
        guard let i = intValue, i >= 0, i < 1 << 31 else { throw .missingField(source: source, field: "vocab id \(raw)") }
        return i
    }
    func array(_ key: String) throws(TokenizerError) -> [TokenizerJSON] {
        guard let a = try value(key).arrayValue else { throw .missingField(source: source, field: key) }
        return a
    }
    func arrayItems(_ key: String) throws(TokenizerError) -> [TokenizerJSON] { try array(key) }
    func arrayItems() throws(TokenizerError) -> [TokenizerJSON] {
        guard let a = arrayValue else { throw .missingField(source: source, field: "added_tokens") }
        return a
    }
    func dictionary() throws(TokenizerError) -> [String: TokenizerJSON] {
        guard let d = raw as? [String: Any] else { throw .missingField(source: source, field: "vocab") }
        return d.mapValues { TokenizerJSON(raw: $0, source: source) }
    }
}
