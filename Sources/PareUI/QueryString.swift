import Foundation

/// A request's query string decoded as an HTML form sends it: `+` is a space, `%XX` a byte,
/// a key may repeat (`ids=3&ids=7`). Values are only ever bound or compared, never pasted.
struct QueryString: Sendable {
    private(set) var pairs: [(key: String, value: String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(kv[0]), value = kv.count > 1 ? Self.decode(kv[1]) : ""
            pairs.append((key, value))
        }
    }

    /// The last value of `key`; nil when absent. An empty value counts as absent.
    subscript(_ key: String) -> String? {
        guard let v = pairs.last(where: { $0.key == key })?.value, !v.isEmpty else { return nil }
        return v
    }

    func all(_ key: String) -> [String] { pairs.filter { $0.key == key }.map(\.value) }

    /// A whole number parameter within `range`, `fallback` when absent.
    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = self[key] else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw UIError.badRequest("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return n
    }

    /// Run ids from `key`, repeated and/or comma-separated (`ids=3,7` or `ids=3&ids=7`).
    func runIDs(_ key: String) throws -> [Int64] {
        try all(key).flatMap { $0.split(separator: ",") }.map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int64(text), id > 0 else { throw UIError.badRequest("\(key) must list run ids, e.g. \(key)=3,7; '\(text)' is not one") }
            return id
        }
    }

    /// A form-encoded value: `+` as space, then percent-escapes as UTF-8 bytes (a bad escape is kept as typed).
    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let hi = hex(it[it.startIndex]), let lo = hex(it[it.startIndex + 1]) {
                bytes.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `key=value&…` percent-encoded, for links the pages build.
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
