import PareStore
import PareTensor

/// Building blocks of the pages: escaping, the shared layout, tables of query results.
enum HTML {
    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    /// A cell as people read it: numbers compact (as `pare`'s tables print them), blank for null.
    static func cell(_ value: TableValue) -> String {
        switch value {
        case .null: ""
        case .int(let i): String(i)
        case .double(let d): NumberText.compact(d)
        case .text(let s): escape(s)
        }
    }

    /// A link to a run page.
    static func runLink(_ id: Int64, _ label: String? = nil) -> String {
        "<a href=\"/run/\(id)\">\(escape(label ?? "run \(id)"))</a>"
    }

    /// The page around `body`: title, navigation, the stylesheet and script (both embedded).
    static func page(title: String, active: String, database: String, body: String) -> String {
        func nav(_ href: String, _ label: String) -> String {
            "<a href=\"\(href)\"\(label == active ? " class=\"active\"" : "")>\(label)</a>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Pare</title>
        <link rel="stylesheet" href="/assets/style.css">
        <script src="/assets/app.js" defer></script>
        </head><body>
        <header><strong>Pare</strong> \(nav("/", "Runs")) \(nav("/tradeoffs", "Trade-offs"))
        <span class="db">\(escape(database)) (read-only)</span></header>
        <main>
        \(body)
        </main></body></html>
        """
    }

    /// A plain table of a query result, the first column optionally linking to runs.
    static func table(_ table: ResultTable, id: String? = nil, linkColumn: Int? = nil) -> String {
        var out = "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>"
        for c in table.columns { out += "<th>\(escape(c))</th>" }
        out += "</tr></thead><tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for (i, v) in row.enumerated() {
                let numeric = v.isNumber ? " class=\"num\"" : ""
                if i == linkColumn, case .int(let run) = v {
                    out += "<td\(numeric)>\(runLink(run, String(run)))</td>"
                } else {
                    out += "<td\(numeric)>\(cell(v))</td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</tbody></table>"
    }

    /// The message of a failed request, with a caret under the filter's column for a filter error.
    static func errorBox(_ error: UIError) -> String {
        var out = "<div class=\"error\" id=\"error\"><p>\(escape(error.message))</p>"
        if let filter = error.filterText, let column = error.column {
            out += "<pre>\(escape(filter))\n\(String(repeating: " ", count: max(0, column - 1)))^</pre>"
        }
        return out + "</div>"
    }
}
