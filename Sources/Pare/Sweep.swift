import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor

/// One `--grid key=v1,v2,…` axis.
public struct GridAxis: Sendable, Equatable {
    public var key: String
    public var values: [String]
    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}

/// What `pare sweep` asks for: the run every point shares (method, files, --set values,
/// experiment, seed), the grid whose cartesian product gives the points, and which share of
/// those points this process records (`--shard I/N`; the whole grid by default).
public struct SweepRequest: Sendable {
    public var base: RecordRequest
    public var grid: [GridAxis]
    public var shard: SweepShard
    public init(base: RecordRequest, grid: [GridAxis], shard: SweepShard = .whole) {
        self.base = base
        self.grid = grid
        self.shard = shard
    }
}

/// `pare sweep`: the cartesian product of a grid as runs (or pipelines), resumable.
///
/// Resume: a point is skipped when the database already holds a FINISHED run with its
/// identity — the same config hash (`runs.config_hash`: method, every effective setting with
/// its default, the seed; for a pipeline the last stage's config, which includes every earlier
/// stage's), in the same experiment, on the same base model (weights hash) and the same train,
/// test and calibration datasets (content hashes; an absent one matches only absent). Failed
/// or interrupted runs of that identity do not count, so a rerun retries them; an interrupted
/// attempt (its process died or was stopped by a signal) is deleted as the point is recorded
/// again, so the point has one row, not two.
public enum Sweep {
    /// Parses `key=v1,v2,…`. Values are split on ','; a value list containing '|' is split on
    /// '|' instead, so a value may itself hold commas: `layers=fc1,fc2|fc3` is two points,
    /// layers=fc1,fc2 and layers=fc3. A key may appear once.
    public static func parseGrid(_ specs: [String]) throws -> [GridAxis] {
        var axes: [GridAxis] = []
        for spec in specs {
            guard let eq = spec.firstIndex(of: "=") else {
                throw PareError("--grid expects key=v1,v2,… (e.g. --grid amount=0.5,0.7), got '\(spec)'.")
            }
            let key = spec[..<eq].trimmingCharacters(in: .whitespaces)
            let list = String(spec[spec.index(after: eq)...])
            guard !key.isEmpty else { throw PareError("--grid '\(spec)' has no key before '='; write key=v1,v2,….") }
            guard !list.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw PareError("--grid \(key)= has no values; list them, e.g. --grid \(key)=v1,v2.")
            }
            let separator: Character = list.contains("|") ? "|" : ","
            let values = list.split(separator: separator, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if values.contains(where: \.isEmpty) {
                throw PareError("--grid \(key)=\(list) has an empty value; separate values with '\(separator)' and no blanks.")
            }
            if let twice = values.first(where: { v in values.filter { $0 == v }.count > 1 }) {
                throw PareError("--grid \(key) lists '\(twice)' twice.")
            }
            guard !axes.contains(where: { $0.key == key }) else {
                throw PareError("--grid \(key) is given twice; list all its values in one --grid \(key)=….")
            }
            axes.append(GridAxis(key: key, values: values))
        }
        return axes
    }

    /// The cartesian product, first axis outermost, each point with the fixed settings added.
    public static func points(grid: [GridAxis], fixed: [String: String]) throws -> [[String: String]] {
        if let clash = grid.first(where: { fixed[$0.key] != nil }) {
            throw PareError("\(clash.key) is given both as --grid and as --set; keep one.")
        }
        var points: [[String: String]] = [fixed]
        for axis in grid {
            points = points.flatMap { point in axis.values.map { value in point.merging([axis.key: value]) { _, new in new } } }
        }
        return points
    }

    public struct Point: Sendable {
        /// The grid values of this point, in axis order (for names and the table).
        public var gridValues: [(key: String, value: String)]
        public var run: Pipeline.Prepared
        public var label: String { gridValues.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    public struct Prepared: Sendable {
        public var request: SweepRequest
        /// The shard's points (every point without a shard), in grid order.
        public var points: [Point]
        /// How many points the whole grid has (all shards together).
        public var gridSize: Int { request.grid.reduce(1) { $0 * $1.values.count } }
    }

    /// Expands the grid and checks EVERY point's method and settings, and the shard's points
    /// against the model and data (layer names, shapes), before the database is touched: a bad
    /// value leaves the database unchanged. Only the shard's points are kept (and only their
    /// seeds' inputs loaded), so resuming a shard looks at its own points alone.
    public static func prepare(_ request: SweepRequest) throws -> Prepared {
        guard !request.grid.isEmpty else { throw PareError("a sweep needs at least one --grid key=v1,v2,….") }
        let settings = try points(grid: request.grid, fixed: request.base.settings)
        var checked: [(PipelineSpec, [any CompressionMethod], [(key: String, value: String)], UInt64)] = []
        for var point in settings {
            let values = request.grid.map { (key: $0.key, value: point[$0.key]!) }
            // `seed` is the run's seed (--seed), not a method setting: sweeping it repeats a run.
            var seed = request.base.seed
            if let text = point.removeValue(forKey: "seed") {
                guard let value = UInt64(text) else {
                    throw PareError("seed=\(text) is not a whole number ≥ 0 (the run's seed, as --seed).")
                }
                seed = value
            }
            let spec = try PipelineSpec.parse(method: request.base.method, settings: point)
            do {
                checked.append((spec, try Pipeline.makeMethods(spec), values, seed))
            } catch {
                let where_ = values.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                throw PareError("grid point \(where_): \(error)")
            }
        }
        // Every shard has checked every point's settings above (so a bad value fails all shards
        // alike); from here on only this shard's points are loaded for and validated.
        checked = request.shard.indices(of: checked.count).map { checked[$0] }
        // The inputs per seed (without --test, the seed also draws the train/test split).
        var inputs: [UInt64: (ModelIO.Loaded, RunData)] = [:]
        let models = try Recorder.loadModels(for: checked.flatMap { $0.1 })
        for seed in Set(checked.map(\.3)) {
            var seeded = request.base
            seeded.seed = seed
            var (base, data) = try Recorder.loadInputs(seeded)
            data.models = models
            inputs[seed] = (base, data)
        }
        var points: [Point] = []
        for (spec, methods, values, seed) in checked {
            let (base, data) = inputs[seed]!
            try Pipeline.checkLayers(spec, in: base.model)
            var runRequest = request.base
            runRequest.method = spec.name
            runRequest.seed = seed
            runRequest.name = (request.base.name.map { $0 + " " } ?? "") + values.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            do {
                try Recorder.validate(methods, base: base, data: data, request: runRequest)
            } catch {
                throw PareError("grid point \(values.map { "\($0.key)=\($0.value)" }.joined(separator: " ")): \(error)")
            }
            points.append(Point(gridValues: values, run: Pipeline.Prepared(spec: spec, methods: methods, base: base, data: data, request: runRequest)))
        }
        return Prepared(request: request, points: points)
    }

    public enum Status: String, Sendable { case recorded, skipped, failed }

    public struct Outcome: Sendable {
        public var point: Point
        public var status: Status
        /// The (last stage's) run id; nil only if a point failed before its run row was written.
        public var runID: Int64?
        /// Every stage's run id (one for a single method).
        public var stageIDs: [Int64]
        public var error: String?
    }

    /// Points whose identity already has a finished run: (index, run id).
    public static func alreadyRecorded(_ prepared: Prepared, in store: any RunTracker) throws -> [Int: Int64] {
        var found: [Int: Int64] = [:]
        for (i, point) in prepared.points.enumerated() {
            if let id = try store.finishedRun(like: Pipeline.finalRunStart(point.run)) { found[i] = id }
        }
        return found
    }

    /// Records every point not already recorded, in grid order. A point that fails is recorded
    /// as failed and the sweep goes on; `progress` gets the fraction of the points to record.
    public static func run(_ prepared: Prepared, store: any RunTracker,
                           progress: @escaping @Sendable (Double, String) -> Void = { _, _ in },
                           onRunStarted: (Int64) -> Void = { _ in },
                           onRunEnded: () -> Void = {}) throws -> [Outcome] {
        let done = try alreadyRecorded(prepared, in: store)
        let todo = prepared.points.count - done.count
        var outcomes: [Outcome] = []
        var recordedSoFar = 0
        for (i, point) in prepared.points.enumerated() {
            if let id = done[i] {
                outcomes.append(Outcome(point: point, status: .skipped, runID: id, stageIDs: [id]))
                continue
            }
            let offset = Double(recordedSoFar), total = Double(max(todo, 1))
            let label = "\(recordedSoFar + 1)/\(todo) \(point.label)"
            var started: [Int64] = []
            // Earlier interrupted attempts at this point give way once the new attempt has its
            // own row (deleted after, not before, so their ids are never reused).
            let earlier = try store.interruptedAttempts(like: Pipeline.stageRunStarts(point.run))
            defer { _ = try? store.deleteRuns(earlier) }
            do {
                let ids = try Pipeline.record(point.run, store: store,
                                              progress: { f, _ in progress((offset + f) / total, label) },
                                              onRunStarted: { started.append($0); onRunStarted($0) })
                outcomes.append(Outcome(point: point, status: .recorded, runID: ids.last, stageIDs: ids))
            } catch {
                outcomes.append(Outcome(point: point, status: .failed, runID: started.last, stageIDs: started,
                                        error: String(describing: error)))
            }
            onRunEnded()
            recordedSoFar += 1
            progress(Double(recordedSoFar) / total, label)
        }
        return outcomes
    }

    /// The sweep's runs: id, status, the grid values, then the headline metrics.
    public static func table(_ outcomes: [Outcome], grid: [GridAxis], store: any RunTracker) throws -> ResultTable {
        var metricKeys = ["accuracy", "agreement", "kl_to_base", "size_bytes", "compression_ratio", "latency_ms_p50"]
        let allMetrics = try outcomes.map { outcome in try outcome.runID.map { try store.finalMetrics(run: $0) } ?? [:] }
        // Runs recorded beside a baseline (distillation) also show what they gained over it.
        if allMetrics.contains(where: { $0["accuracy_gain_over_baseline"] != nil }) {
            metricKeys.insert("accuracy_gain_over_baseline", at: 1)
        }
        var rows: [[TableValue]] = []
        for (outcome, metrics) in zip(outcomes, allMetrics) {
            var row: [TableValue] = [outcome.runID.map { .int($0) } ?? .null, .text(outcome.status.rawValue)]
            row += outcome.point.gridValues.map { .text($0.value) }
            row += metricKeys.map { key in
                guard let v = metrics[key], !v.isNaN else { return .null }
                return key == "size_bytes" ? .int(Int64(v)) : .double(v)
            }
            rows.append(row)
        }
        return ResultTable(columns: ["run", "status"] + grid.map(\.key) + metricKeys, rows: rows)
    }
}
