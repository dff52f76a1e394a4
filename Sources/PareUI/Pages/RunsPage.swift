import PareStore
import PareTensor

/// `/`: the runs as a sortable table (any metric as a column), the filter box, pages of 100,
/// and checkboxes to compare runs.
enum RunsPageView {
    /// `sort` and `order` are kept as hidden fields, so applying a filter keeps the page's order
    /// (also when the page comes back with an error, from the raw query).
    static func render(_ request: RunsRequest?, page: RunsPage?, error: UIError?, filterText: String?,
                       columnsText: String, sort: String?, order: String?, database: String) -> String {
        var body = "<h1>Runs</h1>\n"
        body += """
        <form method="get" action="/" id="filter-form" class="filters">
        <label>Filter <input type="text" name="where" id="filter" size="70" value="\(HTML.escape(filterText ?? ""))"
          placeholder="metrics.accuracy > 0.9 and params.bits <= 4" autocomplete="off" spellcheck="false"></label>
        <label>Columns <input type="text" name="cols" id="cols" size="50" value="\(HTML.escape(columnsText))"></label>
        \(hidden("sort", sort.flatMap { $0 == "id" ? nil : $0 }))\(hidden("order", order))
        <button type="submit" id="apply">Apply</button>
        <span id="filter-status" class="status"></span>
        </form>

        """
        if let error { body += HTML.errorBox(error) }
        if let request, let page {
            body += table(request, page)
        }
        return HTML.page(title: "Runs", active: "Runs", database: database, body: body)
    }

    private static func hidden(_ name: String, _ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        return "<input type=\"hidden\" name=\"\(name)\" value=\"\(HTML.escape(value))\">"
    }

    static func table(_ request: RunsRequest, _ page: RunsPage) -> String {
        let first = page.total == 0 ? 0 : request.offset + 1
        let last = request.offset + page.table.rows.count
        var out = "<p class=\"count\" id=\"count\">runs \(first)–\(last) of \(page.total)"
            + (request.sort == "id" ? "" : ", by \(HTML.escape(request.sort))") + "</p>\n"
        out += "<form method=\"get\" action=\"/compare\" id=\"compare-form\">\n"
        out += "<button type=\"submit\" id=\"compare\">Compare selected</button>\n"
        out += "<table id=\"runs\"><thead><tr><th></th>"
        for (i, column) in page.table.columns.enumerated() {
            // The id and the metric columns sort; a second click on the sorted one reverses it.
            let key: String? = column == "id" ? "id" : (i >= 5 ? column : nil)
            guard let key else { out += "<th>\(HTML.escape(column))</th>"; continue }
            let sorted = request.sort == key
            let mark = sorted ? (isAscending(request) ? " ▲" : " ▼") : ""
            let href = request.link(sort: key, ascending: sorted ? .some(!isAscending(request)) : .some(nil), offset: 0)
            out += "<th class=\"sortable\"><a id=\"sort-\(HTML.escape(key))\" href=\"\(HTML.escape(href))\">\(HTML.escape(column))\(mark)</a></th>"
        }
        out += "</tr></thead><tbody>\n"
        for row in page.table.rows {
            guard case .int(let id) = row[0] else { continue }
            out += "<tr><td><input type=\"checkbox\" name=\"ids\" value=\"\(id)\"></td>"
            for (i, v) in row.enumerated() {
                let content = i == 0 ? HTML.runLink(id, String(id)) : HTML.cell(v)
                out += "<td\(v.isNumber ? " class=\"num\"" : "")\(i == 3 ? " class=\"status-\(HTML.cell(v))\"" : "")>\(content)</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody></table></form>\n<nav class=\"pages\">"
        if request.offset > 0 {
            out += "<a id=\"prev\" href=\"\(HTML.escape(request.link(offset: max(0, request.offset - request.limit))))\">← previous</a> "
        }
        if last < page.total && request.limit > 0 {
            out += "<a id=\"next\" href=\"\(HTML.escape(request.link(offset: request.offset + request.limit)))\">next →</a>"
        }
        return out + "</nav>\n"
    }

    /// The direction the page is sorted in, the default resolved.
    static func isAscending(_ request: RunsRequest) -> Bool {
        if let up = request.ascending { return up }
        return request.sort == "id" ? false : !(MetricVocabulary.higherIsBetter(request.sort) ?? true)
    }
}
