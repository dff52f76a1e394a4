import PareStore

/// Everything the run page and `/api/run/ID` show of one run.
struct RunView: Sendable {
    var id: Int64
    var detail: RunDetail
    var lineage: Lineage
    var curves: [Curve]

    init(_ id: Int64, store: any RunBrowsing) throws {
        self.id = id
        detail = try store.show(run: id)
        lineage = try store.lineage(run: id)
        curves = try store.curves(run: id)
    }
}

/// `/run/ID`: config, metrics, stored tensors, lineage, notes and error, training curves, downloads.
enum RunPageView {
    static func render(_ run: RunView, database: String, canExportModel: Bool) -> String {
        let d = run.detail
        func field(_ name: String) -> TableValue { d.fields.first { $0.name == name }?.value ?? .null }
        let name = HTML.cell(field("name"))
        var body = "<h1 id=\"run-title\">Run \(run.id)\(name.isEmpty ? "" : " · \(name)")</h1>\n"
        body += "<p class=\"summary\">\(HTML.cell(field("method"))) · <span class=\"status-\(HTML.cell(field("status")))\">\(HTML.escape(d.status))</span></p>\n"
        body += "<p class=\"downloads\">Download: <a id=\"download-csv\" href=\"/api/run/\(run.id)/csv\">CSV row</a>"
        if canExportModel && d.status == "finished" {
            body += " · <a id=\"download-model\" href=\"/run/\(run.id)/model.safetensors\">model (safetensors)</a>"
        }
        body += " · <a href=\"/api/run/\(run.id)\">JSON</a>"
        body += " · <code>pare export-model \(run.id) --out run\(run.id).safetensors</code></p>\n"
        if let error = d.error { body += "<div class=\"error\" id=\"run-error\"><p>\(HTML.escape(error))</p></div>\n" }

        body += "<h2>Metrics</h2>\n" + HTML.table(d.metrics, id: "metrics")
        if !run.curves.isEmpty {
            body += "<h2>Training curves</h2>\n<div class=\"curves\" id=\"curves\">"
            for curve in run.curves { body += LineChart(curve).svgElement() }
            body += "</div>\n"
        }
        body += "<h2>Lineage</h2>\n" + lineage(run.lineage, parent: field("parent_run_id"))
        body += "<h2>Config</h2>\n" + HTML.table(d.params, id: "params")
        if !d.notes.isEmpty {
            body += "<h2>Notes</h2>\n<ul id=\"notes\">" + d.notes.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
        }
        if !d.tags.rows.isEmpty { body += "<h2>Tags</h2>\n" + HTML.table(d.tags, id: "tags") }
        body += "<h2>Stored tensors</h2>\n" + HTML.table(d.tensors, id: "tensors")
        if !d.reportedMetrics.rows.isEmpty {
            body += "<h2>Reported by the user</h2>\n" + HTML.table(d.reportedMetrics)
        }
        let fields = ResultTable(columns: ["field", "value"],
                                 rows: d.fields.filter { $0.name != "config" }.map { [.text($0.name), $0.value] })
        body += "<h2>Record</h2>\n" + HTML.table(fields, id: "fields")
        return HTML.page(title: "Run \(run.id)", active: "", database: database, body: body)
    }

    static func lineage(_ l: Lineage, parent: TableValue) -> String {
        func item(_ r: RelatedRun, _ relation: String) -> String {
            "<li>\(relation): \(HTML.runLink(r.id)) · \(HTML.escape(r.name ?? "")) · \(HTML.escape(r.method)) · \(HTML.escape(r.status))</li>"
        }
        var items = l.ancestors.enumerated().map { item($1, $0 == 0 ? "previous stage" : "earlier stage") }
        items += l.nextStages.map { item($0, "next stage") }
        if let b = l.baseline { items.append(item(b, "distillation baseline")) }
        if items.isEmpty { return "<p id=\"lineage\">A single run: no earlier or later stage, no baseline.</p>\n" }
        return "<ul id=\"lineage\">" + items.joined() + "</ul>\n"
    }
}
