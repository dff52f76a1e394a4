import Foundation

/// A JSON value written with its keys in the order given, for the Hugging Face files Pare
/// synthesises (config.json, tokenizer.json). JSONSerialization keeps no key order and prints a
/// float32 such as 1e-5 as its float64 widening (9.99999974737875e-06); this prints the
/// shortest text that reads back as the same Float, as HF's own files show it.
indirect enum JSONText {
    case null
    case bool(Bool)
    case int(Int)
    case float(Float)
    case double(Double)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    /// UTF-8 text, two-space indented; an array of scalars stays on one line (a merge pair, a
    /// list of ids), as a person reading the file would want.
    var data: Data {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return Data(out.utf8)
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .float(let f): out.append(f.isFinite ? Self.number(f) : "null")
        case .double(let d): out.append(d.isFinite ? "\(d)" : "null")
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            if items.allSatisfy(\.isScalar) {
                out.append("[")
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(", ") }
                    item.write(into: &out, indent: indent)
                }
                out.append("]")
                return
            }
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                item.write(into: &out, indent: indent + 2)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        case .object(let members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{\n")
            for (i, (key, value)) in members.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                Self.quote(key, into: &out)
                out.append(": ")
                value.write(into: &out, indent: indent + 2)
                out.append(i + 1 < members.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        }
    }

    /// Swift's shortest round-trip text ("1e-05", "100000.0"), which is valid JSON as it stands.
    private static func number(_ f: Float) -> String { "\(f)" }

    /// RFC 8259 string escaping: quote, backslash and the C0 controls; everything else as UTF-8.
    private static func quote(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
