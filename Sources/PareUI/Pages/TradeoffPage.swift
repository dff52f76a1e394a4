import PareStore

/// What the trade-off page and `/api/pareto` are asked (`?x=size_bytes&y=accuracy&where=…&log_x=1&per_method=1`).
struct TradeoffRequest: Sendable {
    var x: String
    var y: String
    var filter: String?
    var logX: Bool
    var perMethod: Bool

    init(_ query: QueryString) throws {
        x = query["x"] ?? "size_bytes"
        y = query["y"] ?? "accuracy"
        filter = query["where"]
        logX = try Self.flag(query, "log_x")
        perMethod = try Self.flag(query, "per_method")
    }

    static func flag(_ query: QueryString, _ key: String) throws -> Bool {
        switch query[key] {
        case nil, "0", "false": return false
        case "1", "true", "on": return true
        case let other?: throw UIError.badRequest("\(key) must be 1 or 0, not '\(other)'")
        }
    }

    /// Every finished run with both metrics, each flagged on or off the frontier.
    func fetch(_ store: any RunQueries) throws -> ResultTable {
        try store.pareto(x: x, y: y, directions: nil, filter: filter, perMethod: perMethod, allPoints: true)
    }
}

/// `/tradeoffs`: the Pareto plot of any two metrics, drawn by the same `ParetoPlot` as
/// `pare plot pareto`, with points linking to their runs; the frontier runs listed below.
enum TradeoffPageView {
    static func render(_ request: TradeoffRequest?, filterText: String?, table: ResultTable?, error: UIError?,
                       metrics: [String], database: String) -> String {
        func select(_ name: String, _ chosen: String) -> String {
            var out = "<select name=\"\(name)\" id=\"\(name)\">"
            for m in metrics.contains(chosen) ? metrics : [chosen] + metrics {
                out += "<option\(m == chosen ? " selected" : "")>\(HTML.escape(m))</option>"
            }
            return out + "</select>"
        }
        var body = "<h1>Trade-offs</h1>\n"
        body += """
        <form method="get" action="/tradeoffs" class="filters" id="tradeoff-form">
        <label>x \(select("x", request?.x ?? "size_bytes"))</label>
        <label>y \(select("y", request?.y ?? "accuracy"))</label>
        <label><input type="checkbox" name="log_x" value="1"\(request?.logX == true ? " checked" : "")> log x</label>
        <label><input type="checkbox" name="per_method" value="1"\(request?.perMethod == true ? " checked" : "")> frontier per method</label>
        <label>Filter <input type="text" name="where" id="filter" size="50" value="\(HTML.escape(filterText ?? ""))" autocomplete="off"></label>
        <button type="submit" id="plot">Plot</button>
        </form>

        """
        if let error { body += HTML.errorBox(error) }
        if let request, let table {
            do {
                var plot = try ParetoPlot(x: request.x, y: request.y, table: table, logX: request.logX, perMethod: request.perMethod)
                plot.runLink = "/run/"
                body += "<div class=\"plot\" id=\"plot-area\">\(plot.svgElement())</div>\n<div id=\"hover\" class=\"hover\"></div>\n"
            } catch {
                body += HTML.errorBox(UIError.from(error))
            }
            var frontier = ResultTable(columns: Array(table.columns.dropLast()))
            frontier.rows = table.rows.filter { $0.last == .int(1) }.map { Array($0.dropLast()) }
            body += "<h2>On the frontier (\(frontier.rows.count))</h2>\n" + HTML.table(frontier, id: "frontier", linkColumn: 0)
        }
        return HTML.page(title: "Trade-offs", active: "Trade-offs", database: database, body: body)
    }
}
