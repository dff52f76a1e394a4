import Foundation
import PareStore
import PareTensor

/// What the runs page and `/api/runs` are asked: a filter, an order, the metric columns and a
/// page (`?where=…&sort=size_bytes&order=asc&cols=accuracy,size_bytes&offset=100&limit=100`).
struct RunsRequest: Sendable {
    var filter: String?
    /// "id" or a metric name.
    var sort: String
    /// nil: newest first by id, best first by a metric (its known direction).
    var ascending: Bool?
    var columns: [String]
    var offset: Int
    var limit: Int

    static let maxLimit = 1000

    /// Reads the parameters; the default columns are the headline metrics the database holds.
    init(_ query: QueryString, store: any RunQueries) throws {
        filter = query["where"]
        sort = query["sort"] ?? "id"
        switch query["order"] {
        case nil: ascending = nil
        case "asc": ascending = true
        case "desc": ascending = false
        case let other?: throw UIError.badRequest("order must be asc or desc, not '\(other)'")
        }
        if let cols = query["cols"] {
            columns = cols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            let present = Set(try store.metricKeys())
            columns = MetricVocabulary.headline.filter(present.contains)
        }
        if sort != "id" && !columns.contains(sort) { columns.append(sort) }
        offset = try query.int("offset", default: 0, in: 0...Int(Int32.max))
        limit = try query.int("limit", default: 100, in: 0...Self.maxLimit)
    }

    func fetch(_ store: any RunBrowsing) throws -> RunsPage {
        try store.runsPage(order: sort == "id" ? .id : .metric(sort), ascending: ascending, filter: filter,
                           metrics: columns, offset: offset, limit: limit)
    }

    /// This request's parameters with some changed, as a query string for a link.
    func link(sort: String? = nil, ascending: Bool?? = nil, offset: Int? = nil) -> String {
        var pairs: [(String, String)] = []
        if let filter { pairs.append(("where", filter)) }
        let s = sort ?? self.sort
        if s != "id" { pairs.append(("sort", s)) }
        if let up = ascending ?? self.ascending { pairs.append(("order", up ? "asc" : "desc")) }
        pairs.append(("cols", columns.joined(separator: ",")))
        let o = offset ?? self.offset
        if o > 0 { pairs.append(("offset", String(o))) }
        if limit != 100 { pairs.append(("limit", String(limit))) }
        return "/?" + QueryString.encode(pairs)
    }
}
