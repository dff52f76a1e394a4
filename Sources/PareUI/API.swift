import PareStore
import PareTensor

/// The JSON of `/api/…`: the same data as the pages, from the same requests.
enum API {
    static func runs(_ request: RunsRequest, _ page: RunsPage) -> JSON {
        .object([
            ("total", .int(Int64(page.total))), ("offset", .int(Int64(request.offset))), ("limit", .int(Int64(request.limit))),
            ("sort", .string(request.sort)), ("order", .string(RunsPageView.isAscending(request) ? "asc" : "desc")),
            ("columns", .array(page.table.columns.map { .string($0) })), ("runs", JSON(rows: page.table)),
        ])
    }

    static func run(_ run: RunView) -> JSON {
        let d = run.detail
        func related(_ r: RelatedRun) -> JSON {
            .object([("id", .int(r.id)), ("name", JSON(r.name)), ("method", .string(r.method)), ("status", .string(r.status))])
        }
        return .object([
            ("run", .object(d.fields.map { ($0.name, JSON($0.value)) })),
            ("params", .object(d.params.rows.map { (key($0), JSON($0[1])) })),
            ("metrics", JSON(rows: d.metrics)),
            ("curves", .object(run.curves.map { c in (c.metric, .array(c.points.map { .array([.int(Int64($0.step)), .double($0.value)]) })) })),
            ("tensors", JSON(rows: d.tensors)),
            ("tags", .object(d.tags.rows.map { (key($0), JSON($0[1])) })),
            ("notes", .array(d.notes.map { .string($0) })),
            ("error", JSON(d.error)),
            ("lineage", .object([
                ("ancestors", .array(run.lineage.ancestors.map(related))),
                ("next_stages", .array(run.lineage.nextStages.map(related))),
                ("baseline", run.lineage.baseline.map(related) ?? .null),
            ])),
        ])
    }

    static func compare(_ c: Comparison) -> JSON {
        .object([("runs", .array(c.runIDs.map { .int($0) })), ("fields", JSON(rows: c.runs)),
                 ("params", JSON(rows: c.params)), ("metrics", JSON(rows: c.metrics))])
    }

    static func pareto(_ request: TradeoffRequest, _ table: ResultTable) -> JSON {
        .object([
            ("x", .string(request.x)), ("y", .string(request.y)), ("per_method", .bool(request.perMethod)),
            ("points", .array(table.rows.map { row in
                .object([("run", JSON(row[0])), ("name", JSON(row[1])), ("method", JSON(row[2])),
                         ("x", JSON(row[3])), ("y", JSON(row[4])), ("frontier", .bool(row[5] == .int(1)))])
            })),
        ])
    }

    /// The vocabulary's metrics and any other recorded key, each with its unit, direction and
    /// whether the database holds it.
    static func metrics(_ store: any RunQueries) throws -> JSON {
        let present = Set(try store.metricKeys())
        return .array(try store.knownMetricKeys().map { name in
            let info = MetricVocabulary.info(name)
            return .object([("name", .string(name)), ("unit", JSON(info?.unit)),
                            ("higher_is_better", info.map { .bool($0.higherIsBetter) } ?? .null),
                            ("summary", JSON(info?.summary)), ("recorded", .bool(present.contains(name)))])
        })
    }

    private static func key(_ row: [TableValue]) -> String { if case .text(let k) = row[0] { k } else { "" } }
}
