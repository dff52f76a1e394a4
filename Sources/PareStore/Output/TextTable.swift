import Foundation

/// Aligned plain-text columns for people: a header, a rule, then rows; numbers right-aligned
/// and compact (about five significant digits), text left-aligned, NULL as "-". Line breaks
/// inside text show as "⏎" so each row stays on one line.
public enum TextTable {
    public static func render(_ table: ResultTable) -> String {
        let cells: [[String]] = table.rows.map { row in row.map(text) }
        let numeric: [Bool] = table.columns.indices.map { c in
            table.rows.contains { $0[c].isNumber } && table.rows.allSatisfy { $0[c].isNumber || $0[c] == .null }
        }
        var widths = table.columns.map(\.count)
        for row in cells { for (c, s) in row.enumerated() { widths[c] = max(widths[c], s.count) } }

        func line(_ fields: [String]) -> String {
            var out = ""
            for (c, f) in fields.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - f.count)
                if c > 0 { out += "  " }
                out += numeric[c] ? pad + f : (c == fields.count - 1 ? f : f + pad)
            }
            return out
        }
        var lines = [line(table.columns), line(widths.map { String(repeating: "-", count: $0) })]
        lines += cells.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ v: TableValue) -> String {
        switch v {
        case .null: "-"
        case .int(let i): String(i)
        case .double(let d): NumberText.compact(d)
        case .text(let s): s.replacingOccurrences(of: "\r\n", with: "⏎").replacingOccurrences(of: "\n", with: "⏎")
                .replacingOccurrences(of: "\r", with: "⏎")
        }
    }
}
