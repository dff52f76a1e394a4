import GRDB

/// A run next to another in a pipeline or a distillation (`pare ui`'s run page).
public struct RelatedRun: Equatable, Sendable {
    public var id: Int64
    public var name: String?
    public var method: String
    public var status: String
}

/// Where a run sits among the others.
public struct Lineage: Equatable, Sendable {
    /// Earlier pipeline stages, nearest first.
    public var ancestors: [RelatedRun]
    /// The next stages (runs whose parent this run is).
    public var nextStages: [RelatedRun]
    /// The distillation baseline the run names (`baseline_run`), when still recorded.
    public var baseline: RelatedRun?
}

/// One training curve: a metric's points at steps > 0.
public struct Curve: Equatable, Sendable {
    public var metric: String
    public var points: [(step: Int, value: Double)]

    public static func == (a: Curve, b: Curve) -> Bool {
        a.metric == b.metric && a.points.elementsEqual(b.points) { $0.step == $1.step && $0.value == $1.value }
    }
}

extension RunBrowsing {
    /// The run's pipeline stages before and after it and its baseline (`queries/run_ancestors.sql`,
    /// `run_descendants.sql`, `run_baseline.sql`). Throws for an unknown run.
    public func lineage(run id: Int64) throws -> Lineage {
        try browsing { rows in
            try rows.requireRun(id)
            func related(_ query: String) throws -> [RelatedRun] {
                try rows.table(query, ["run_id": id.databaseValue], columns: ["id", "name", "method", "status"]).rows.compactMap { row in
                    guard case .int(let id) = row[0], case .text(let method) = row[2], case .text(let status) = row[3] else { return nil }
                    let name: String? = if case .text(let n) = row[1] { n } else { nil }
                    return RelatedRun(id: id, name: name, method: method, status: status)
                }
            }
            return Lineage(ancestors: try related("run_ancestors"), nextStages: try related("run_descendants"),
                           baseline: try related("run_baseline").first)
        }
    }

    /// The run's training curves, one per metric with points at steps > 0, by metric name
    /// (`queries/run_curves.sql`).
    public func curves(run id: Int64) throws -> [Curve] {
        try browsing { rows in
            var curves: [Curve] = []
            for row in try rows.table("run_curves", ["run_id": id.databaseValue], columns: ["key", "step", "value"]).rows {
                guard case .text(let key) = row[0], case .int(let step) = row[1] else { continue }
                let value: Double
                switch row[2] {
                case .double(let v): value = v
                case .int(let v): value = Double(v)
                default: continue
                }
                if curves.last?.metric != key { curves.append(Curve(metric: key, points: [])) }
                curves[curves.count - 1].points.append((step: Int(step), value: value))
            }
            return curves
        }
    }

    /// The methods the store holds runs of (`queries/methods.sql`): method, runs, finished.
    public func methods() throws -> ResultTable {
        try browsing { rows in try rows.table("methods", columns: ["method", "runs", "finished"]) }
    }
}
