import Foundation
import PareStore

/// A JSON value as the API writes it: object keys keep their order, NaN and ±Inf become null.
indirect enum JSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    init(_ value: TableValue) {
        switch value {
        case .null: self = .null
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .text(let s): self = .string(s)
        }
    }

    init(_ value: String?) { self = value.map { .string($0) } ?? .null }

    /// A table as an array of objects (column → value).
    init(rows table: ResultTable) {
        self = .array(table.rows.map { row in .object(zip(table.columns, row).map { ($0, JSON($1)) }) })
    }

    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? "\(d)" : "null"
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                value.write(into: &out)
            }
            out += "}"
        }
    }

    /// JSON's string escaping as the record writes it, with `<` escaped too (see CanonicalJSON).
    static func quote(_ s: String, into out: inout String) {
        CanonicalJSON.string(s, into: &out, escapingLessThan: true)
    }
}
