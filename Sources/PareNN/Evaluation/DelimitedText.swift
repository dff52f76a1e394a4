/// Rows of a CSV or TSV text, each with the (1-based) line it starts on.
///
/// CSV follows RFC 4180: fields separated by commas, a field in double quotes may hold commas,
/// line breaks and doubled quotes (`""` for one `"`); a quote inside an unquoted field is kept
/// as written. TSV is the IANA text/tab-separated-values format: fields separated by tabs, no
/// quoting at all (a quote is an ordinary character, so sentences with quotes need no
/// escaping; a field cannot hold a tab or a line break). Lines end in LF or CRLF; a UTF-8
/// byte-order mark is skipped; blank lines are skipped.
struct DelimitedText {
    enum Format: Sendable { case csv, tsv }

    struct Row { var line: Int; var fields: [String] }

    /// TSV when the first non-blank line has a tab, else CSV.
    static func format(of text: Substring) -> Format {
        let header = text.split(separator: "\n", omittingEmptySubsequences: true)
            .first { !$0.allSatisfy(\.isWhitespace) } ?? ""
        return header.contains("\t") ? .tsv : .csv
    }

    /// Every row, or `unterminatedQuote` naming the line a quoted field opened on.
    static func rows(_ text: String, file: String) throws -> (Format, [Row]) {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        let format = format(of: body)
        return (format, format == .tsv ? tsvRows(body) : try csvRows(body, file: file))
    }

    private static func tsvRows(_ text: Substring) -> [Row] {
        var rows: [Row] = []
        // Split on Unicode scalars so "\r\n" (one Character) is seen as two line-end bytes.
        for (i, line) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var s = String(String.UnicodeScalarView(line))
            if s.hasSuffix("\r") { s.removeLast() }
            if s.allSatisfy({ $0 == " " }) || s.isEmpty { continue }
            rows.append(Row(line: i + 1, fields: s.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return rows
    }

    private static func csvRows(_ text: Substring, file: String) throws -> [Row] {
        var rows: [Row] = []
        var fields: [String] = [], field = String.UnicodeScalarView()
        var line = 1, rowStart = 1
        var inQuotes = false, quotedStart = 0, fieldWasQuoted = false
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func endRow() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            // A blank line is one empty unquoted field: skip it.
            if !(fields.count == 1 && fields[0].allSatisfy({ $0 == " " }) && !fieldWasQuoted) {
                rows.append(Row(line: rowStart, fields: fields))
            }
            fields = []
            fieldWasQuoted = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { field.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty && !fieldWasQuoted {
                inQuotes = true; fieldWasQuoted = true; quotedStart = line
            } else if c == "," {
                fields.append(String(field)); field = String.UnicodeScalarView(); fieldWasQuoted = false
            } else if c == "\n" || (c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n") {
                if c == "\r" { i += 1 }
                endRow()
                line += 1
                rowStart = line
            } else {
                field.append(c)
            }
            i += 1
        }
        if inQuotes { throw EvaluationDataError.unterminatedQuote(file: file, line: quotedStart) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRow() }
        return rows
    }
}
