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

extension Store {
    /// The run's pipeline stages before and after it and its baseline (`queries/run_ancestors.sql`,
    /// `run_descendants.sql`, `run_baseline.sql`). Throws for an unknown run.
    public func lineage(run id: Int64) throws -> Lineage {
        try read { db in
            guard try Row.fetchOne(db.cachedStatement(sql: SQLText.query("run_status")), arguments: ["id": id]) != nil
            else { throw try Store.unknownRun(db, id) }
            func related(_ query: String) throws -> [RelatedRun] {
                try Row.fetchAll(db.cachedStatement(sql: SQLText.query(query)), arguments: ["run_id": id]).map {
                    RelatedRun(id: $0["id"], name: $0["name"], method: $0["method"], status: $0["status"])
                }
            }
            return Lineage(ancestors: try related("run_ancestors"), nextStages: try related("run_descendants"),
                           baseline: try related("run_baseline").first)
        }
    }

    /// The run's training curves, one per metric with points at steps > 0, by metric name
    /// (`queries/run_curves.sql`).
    public func curves(run id: Int64) throws -> [Curve] {
        try read { db in
            var curves: [Curve] = []
            for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query("run_curves")), arguments: ["run_id": id]) {
                let key: String = row["key"]
                guard let value: Double = row["value"] else { continue }
                if curves.last?.metric != key { curves.append(Curve(metric: key, points: [])) }
                curves[curves.count - 1].points.append((step: row["step"], value: value))
            }
            return curves
        }
    }
}
