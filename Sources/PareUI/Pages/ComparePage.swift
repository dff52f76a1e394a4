import Foundation
import PareStore

/// `/compare?ids=3,7`: runs side by side, the params that differ first, metric deltas.
enum ComparePageView {
    static func render(_ c: Comparison, allParams: ResultTable, database: String) -> String {
        let differing = Set(c.params.rows.compactMap { if case .text(let k) = $0[0] { k } else { nil } })
        // The differing params first (marked), then the shared ones.
        var ordered = ResultTable(columns: allParams.columns)
        ordered.rows = allParams.rows.filter { differing.contains(key($0)) } + allParams.rows.filter { !differing.contains(key($0)) }
        var body = "<h1>Compare " + c.runIDs.map { HTML.runLink($0) }.joined(separator: ", ") + "</h1>\n"
        body += HTML.table(c.runs, id: "compare-runs")
        body += "<h2>Params</h2>\n<p>\(differing.count) differ (highlighted), \(ordered.rows.count - differing.count) are the same.</p>\n"
        var params = HTML.table(ordered, id: "compare-params")
        for k in differing { params = params.replacingOccurrences(of: "<tr><td>\(HTML.escape(k))</td>", with: "<tr class=\"differs\"><td>\(HTML.escape(k))</td>") }
        body += params
        body += "<h2>Metrics</h2>\n<p>Δ is each run's value minus the first run's.</p>\n" + HTML.table(c.metrics, id: "compare-metrics")
        return HTML.page(title: "Compare", active: "", database: database, body: body)
    }

    private static func key(_ row: [TableValue]) -> String { if case .text(let k) = row[0] { k } else { "" } }
}
