import PareTensor

/// Deterministic JSON: object keys sorted by their UTF-8 bytes, no whitespace, numbers in
/// Swift's shortest round-trip form. The same config always gives the same text, hence the
/// same `config_hash`.
public enum CanonicalJSON {
    static func object(_ values: [String: ConfigValue]) -> String {
        var out = "{"
        for (i, key) in values.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if i > 0 { out += "," }
            string(key, into: &out)
            out += ":"
            value(values[key]!, into: &out)
        }
        return out + "}"
    }

    static func object(_ values: [String: String]) -> String {
        object(values.mapValues { ConfigValue.string($0) })
    }

    public static func array(_ values: [Int]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }

    public static func array(_ values: [String]) -> String {
        var out = "["
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            string(v, into: &out)
        }
        return out + "]"
    }

    static func value(_ v: ConfigValue, into out: inout String) {
        switch v {
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .string(let s): string(s, into: &out)
        case .double(let d):
            if d.isFinite { out += d == d.rounded() && abs(d) < 1e15 ? String(format1: d) : String(d) }
            else { string(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"), into: &out) }
        }
    }

    /// `s` as a JSON string. `escapingLessThan`: `<` as \u003c too, for JSON embedded in an
    /// HTML page (a value then never closes the <script> it sits in); the record's canonical
    /// text (and so every config hash) leaves it as it is.
    public static func string(_ s: String, into out: inout String, escapingLessThan: Bool = false) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<" where escapingLessThan: out += "\\u003c"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

private extension String {
    /// A whole-valued double written with one decimal ("2.0"), so it stays a double in JSON.
    init(format1 d: Double) { self = String(Int64(d)) + ".0" }
}
