import Foundation

/// RFC 4180 CSV: a header row, comma-separated fields, LF line endings (RFC 4180 says CRLF;
/// every CSV reader accepts LF and Unix tools prefer it). A field containing a comma, a quote,
/// CR or LF is quoted, with quotes doubled. Numbers are written at full precision (shortest
/// text that reads back to the same Double); NULL is an empty field.
public struct CSVWriter<Output: TextOutputStream>: TableSink {
    public var output: Output

    public init(to output: Output) { self.output = output }

    public mutating func begin(columns: [String]) { line(columns) }

    public mutating func row(_ values: [TableValue]) { line(values.map(CSVFormat.text)) }

    public mutating func end() {}

    private mutating func line(_ fields: [String]) {
        var s = ""
        for (i, f) in fields.enumerated() {
            if i > 0 { s += "," }
            s += CSVFormat.quoted(f)
        }
        s += "\n"
        output.write(s)
    }

}

/// The CSV spelling of fields and values.
enum CSVFormat {
    static func quoted(_ field: String) -> String {
        // Scan bytes, not Characters: grapheme breaking is the slow part of a large export.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func text(_ v: TableValue) -> String {
        switch v {
        case .null: ""
        case .int(let i): String(i)
        case .double(let d): NumberText.full(d)
        case .text(let s): s
        }
    }
}

extension CSVWriter where Output == String {
    public init() { self.init(to: "") }
}
