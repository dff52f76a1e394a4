import Foundation
import PareStore

/// A run's model as safetensors bytes, or nil for a model that is a directory (a transformer);
/// given by the CLI, which knows how to rebuild a model (PareUI only reads the record).
public typealias ModelExporter = @Sendable (_ store: any RunModelReading, _ run: Int64) throws -> [UInt8]?

/// The app without HTTP: a GET of a path and query string becomes a `Reply`. Every request reads
/// the record as it is now (`RecordReader`) and never writes it.
public final class Site: Sendable {
    let reader: any RecordReader
    let exportModel: ModelExporter?

    /// Opens the SQLite file read-only (reopened when it changes); throws for a missing file or
    /// one that is not Pare's.
    public convenience init(database path: String, exportModel: ModelExporter? = nil) throws {
        self.init(reader: try ReloadingReader(path: path), exportModel: exportModel)
    }

    /// Serves the record `reader` gives (a PostgreSQL store: `OpenStoreReader`).
    public init(reader: any RecordReader, exportModel: ModelExporter? = nil) {
        self.reader = reader
        self.exportModel = exportModel
    }

    var database: String { reader.database }

    func get(path: String, query: String?) -> Reply {
        let q = QueryString(query)
        let api = path.hasPrefix("/api/")
        do {
            return try route(path, q)
        } catch {
            let e = UIError.from(error, filter: q["where"])
            return api ? .jsonError(e) : .html(errorPage(e, path: path, query: q), status: e.status)
        }
    }

    private func route(_ path: String, _ q: QueryString) throws -> Reply {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        // The path against a pattern ("*" takes any one segment): the segments "*" took, or nil.
        // Each page below answers one pattern; any other path is a 404.
        func match(_ pattern: String...) -> [String]? {
            guard pattern.count == parts.count else { return nil }
            var taken: [String] = []
            for (want, got) in zip(pattern, parts) {
                if want == "*" { taken.append(got) } else if want != got { return nil }
            }
            return taken
        }
        if match("") != nil || match("runs") != nil {
            let store = try reader.store()
            let request = try RunsRequest(q, store: store)
            let page = try request.fetch(store)
            return .html(RunsPageView.render(request, page: page, error: nil, filterText: request.filter,
                                             columnsText: request.columns.joined(separator: ","), sort: request.sort,
                                             order: request.ascending.map { $0 ? "asc" : "desc" }, database: database))
        }
        if let id = match("run", "*")?.first {
            let run = try RunView(try runID(id), store: try reader.store())
            return .html(RunPageView.render(run, database: database, canExportModel: exportModel != nil))
        }
        if let id = match("run", "*", "model.safetensors")?.first {
            guard let exportModel else { throw UIError.notFound("this server does not export models") }
            let run = try runID(id)
            guard let bytes = try exportModel(try reader.store(), run) else {
                throw UIError.notFound("run \(run)'s model is a Hugging Face directory, not one file: pare export-model \(run) --out DIR/")
            }
            var reply = Reply(status: .ok, contentType: "application/octet-stream", body: bytes)
            reply.attachmentName = "run\(run).safetensors"
            return reply
        }
        if match("compare") != nil {
            let store = try reader.store()
            let ids = try q.runIDs("ids")
            let comparison = try store.compare(runs: ids, allParams: false)
            let all = try store.compare(runs: ids, allParams: true).params
            return .html(ComparePageView.render(comparison, allParams: all, database: database))
        }
        if match("tradeoffs") != nil {
            let store = try reader.store()
            let request = try TradeoffRequest(q)
            return .html(TradeoffPageView.render(request, filterText: request.filter, table: try request.fetch(store), error: nil,
                                                 metrics: try store.metricKeys(), database: database))
        }
        if match("assets", "style.css") != nil {
            return Reply(status: .ok, contentType: "text/css; charset=utf-8", body: Array(Style.css.utf8))
        }
        if match("assets", "app.js") != nil {
            return Reply(status: .ok, contentType: "text/javascript; charset=utf-8", body: Array(Script.js.utf8))
        }
        if match("api", "runs") != nil {
            let store = try reader.store()
            let request = try RunsRequest(q, store: store)
            return .json(API.runs(request, try request.fetch(store)))
        }
        if let id = match("api", "run", "*")?.first {
            return .json(API.run(try RunView(try runID(id), store: try reader.store())))
        }
        if let id = match("api", "run", "*", "csv")?.first {
            let run = try runID(id)
            var csv = CSVWriter()
            _ = try reader.store().show(run: run)  // 404 for an unknown run, not an empty file
            try reader.store().export(filter: "run.id = \(run)", columns: nil, into: &csv)
            var reply = Reply(status: .ok, contentType: "text/csv; charset=utf-8", body: Array(csv.output.utf8))
            reply.attachmentName = "run\(run).csv"
            return reply
        }
        if match("api", "compare") != nil {
            return .json(API.compare(try reader.store().compare(runs: try q.runIDs("ids"), allParams: false)))
        }
        if match("api", "pareto") != nil {
            let request = try TradeoffRequest(q)
            return .json(API.pareto(request, try request.fetch(try reader.store())))
        }
        if match("api", "metrics") != nil {
            return .json(try API.metrics(try reader.store()))
        }
        if match("api", "methods") != nil {
            return .json(JSON(rows: try reader.store().methods()))
        }
        throw UIError.notFound("there is no page at \(path)")
    }

    private func runID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw UIError.notFound("'\(text)' is not a run id") }
        return id
    }

    /// A failed page: the runs and trade-off pages come back with their form and the error
    /// under it (a filter error with a caret at its column); others as a short page.
    private func errorPage(_ e: UIError, path: String, query: QueryString) -> String {
        let metrics = (try? reader.store().metricKeys()) ?? []
        switch path {
        case "/", "/runs":
            return RunsPageView.render(nil, page: nil, error: e, filterText: query["where"], columnsText: query["cols"] ?? "",
                                       sort: query["sort"], order: query["order"], database: database)
        case "/tradeoffs":
            return TradeoffPageView.render(try? TradeoffRequest(query), filterText: query["where"], table: nil, error: e,
                                           metrics: metrics, database: database)
        default:
            let title = e.status == .notFound ? "Not found" : "Error"
            return HTML.page(title: title, active: "", database: database,
                             body: "<h1>\(title)</h1>\n" + HTML.errorBox(e) + "<p><a href=\"/\">All runs</a></p>")
        }
    }
}
