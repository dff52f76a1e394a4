import GRDB

/// Rows of named values as one JSON array, the single bound parameter of a `*_batch` query
/// (`json_to_recordset`), which hands each value to its column type's own input function.
///
/// A real is written as a JSON string of its shortest round-trip digits (Swift's `description`),
/// so the server's float8 parser reads back the very same double; infinities and NaN take the
/// spellings float8 accepts. Integers are JSON numbers, exact at any size.
enum JSONRows {
    static func encode(_ rows: some Collection<[String: DatabaseValue]>) -> String {
        var out = "["
        out.reserveCapacity(rows.count * 160)
        var firstRow = true
        for row in rows {
            if !firstRow { out += "," }
            firstRow = false
            out += "{"
            var firstKey = true
            for (key, value) in row {
                if !firstKey { out += "," }
                firstKey = false
                appendString(key, to: &out)
                out += ":"
                append(value, to: &out)
            }
            out += "}"
        }
        return out + "]"
    }

    static func append(_ value: DatabaseValue, to out: inout String) {
        switch value.storage {
        case .null: out += "null"
        case .int64(let v): out += String(v)
        case .double(let v):
            out += v.isNaN ? "\"NaN\"" : v == .infinity ? "\"Infinity\"" : v == -.infinity ? "\"-Infinity\"" : "\"\(v)\""
        case .string(let s): appendString(s, to: &out)
        case .blob: preconditionFailure("a batched row holds no bytes (blobs are written by record_blob)")
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped. A string with none
    /// (nearly all) is appended whole: appending through `out.unicodeScalars` copied all of
    /// `out` each time, which made a batch's encoding quadratic (75% of `pare log --from`).
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        if !s.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            out += s
        } else {
            for c in s.unicodeScalars {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case _ where c.value < 0x20:
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out += String(c)
                }
            }
        }
        out += "\""
    }
}
