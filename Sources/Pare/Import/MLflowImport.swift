import Foundation
import PareStore
import PareTensor

/// `pare import mlflow`: MLflow runs (from either of its stores) recorded as Pare runs.
///
/// Each run becomes one Pare run with source 'mlflow' and uid "mlflow:RUN_UUID", so importing
/// the same store again records only the runs not imported before. The mapping:
/// - method: the MLflow param `method`, else the tag `pare.method`, else "mlflow";
/// - params: typed as a user would mean them ("4" an int, "0.5" a real, "True" a bool, else text);
/// - metrics: each metric's latest value (MLflow's rule: greatest step, then timestamp) as the
///   final value, step 0, marked reported by the user; a metric logged at more than one step also
///   as a curve, MLflow step s at Pare step s + 1 (the last value logged at each step);
/// - tags: all of them, `mlflow.*` included; the name is `mlflow.runName` (or the run's name);
/// - status: FINISHED → finished; FAILED or KILLED → failed with error "MLflow status FAILED";
///   RUNNING or SCHEDULED → not imported yet (counted in the summary; a later import takes it);
/// - times: MLflow's ms since the epoch as UTC ISO 8601 with ms.
public enum MLflowImport {
    /// Where the runs come from.
    public enum Source: Sendable {
        /// MLflow's SQLite backend store.
        case trackingDB(String)
        /// MLflow's file store, an `mlruns/` folder.
        case mlruns(String)

        /// The live runs of `experiment` (every live experiment when nil), checked and read.
        public func runs(experiment: String?) throws -> (runs: [MLflowRun], experiments: [String]) {
            let runs: [MLflowRun], all: [String]
            switch self {
            case .trackingDB(let path):
                let db = try MLflowTrackingDB(path: path)
                (runs, all) = (try db.runs(experiment: experiment), try db.experiments())
            case .mlruns(let root):
                let store = try MLflowFileStore(root: root)
                (runs, all) = (try store.runs(experiment: experiment), try store.experiments())
            }
            // Name the experiments asked for, or those holding runs (MLflow's empty "Default").
            let named = experiment.map { [$0] } ?? all.filter { name in runs.contains { $0.experiment == name } }
            return (runs, named)
        }
    }

    /// What an import did.
    public struct Summary: Sendable, Equatable {
        /// The Pare ids of the runs recorded, in the source's order.
        public var recorded: [Int64]
        /// Runs skipped because an earlier import recorded them.
        public var alreadyImported: Int
        /// Runs skipped because MLflow has not finished them (RUNNING or SCHEDULED).
        public var stillRunning: Int
        /// The MLflow experiments read.
        public var experiments: [String]

        /// One line: "imported 12 runs from MLflow experiment 'x' (3 already imported, 1 still running, skipped)".
        public var line: String {
            let names = experiments.map { "'\($0)'" }.joined(separator: ", ")
            var text = "imported \(recorded.count) run\(recorded.count == 1 ? "" : "s") from MLflow "
                + (experiments.count == 1 ? "experiment \(names)" : experiments.isEmpty ? "(no runs)" : "experiments \(names)")
            let skipped = [alreadyImported > 0 ? "\(alreadyImported) already imported" : nil,
                           stillRunning > 0 ? "\(stillRunning) still running" : nil].compactMap { $0 }
            if !skipped.isEmpty { text += " (\(skipped.joined(separator: ", ")), skipped)" }
            return text
        }
    }

    /// Reads `source` and records its new finished or failed runs into the SQLite file at
    /// `database` (created if absent) in one transaction.
    public static func run(_ source: Source, experiment: String?, intoExperiment: String?,
                           database: String) throws -> Summary {
        try run(source, experiment: experiment, intoExperiment: intoExperiment) { try Store(path: database, create: true) }
    }

    /// Reads `source` and records its new finished or failed runs into the store `open`
    /// opens (a SQLite file or a PostgreSQL server) in one transaction. The source is read and
    /// checked before the store is opened, so a bad source leaves no database behind.
    public static func run(_ source: Source, experiment: String?, intoExperiment: String?,
                           open: () throws -> any RunRecorder) throws -> Summary {
        let read = try source.runs(experiment: experiment)
        let store = try open()
        defer { store.close() }
        var summary = try record(read.runs, into: store, intoExperiment: intoExperiment)
        summary.experiments = read.experiments
        return summary
    }

    /// Records the runs not yet in `store` (checked with one query), all in one transaction.
    public static func record(_ runs: [MLflowRun], into store: any RunRecorder, intoExperiment: String? = nil) throws -> Summary {
        let done = runs.filter { $0.status != .running && $0.status != .scheduled }
        let existing = try store.existingUIDs(done.map { uid($0) })
        let new = done.filter { !existing.contains(uid($0)) }
        let ids = try store.record(batch: new.map { converted($0, intoExperiment: intoExperiment) })
        var experiments: [String] = []
        for run in runs where !experiments.contains(run.experiment) { experiments.append(run.experiment) }
        return Summary(recorded: ids, alreadyImported: done.count - new.count, stillRunning: runs.count - done.count,
                       experiments: experiments)
    }

    static func uid(_ run: MLflowRun) -> String { "mlflow:" + run.id }

    /// The Pare run for a finished or failed MLflow run.
    public static func converted(_ run: MLflowRun, intoExperiment: String? = nil) -> (start: RunStart, outcome: RunOutcome) {
        var config = run.params.mapValues(typed)
        let method = [run.params["method"], run.tags["pare.method"]].compactMap { $0 }.first { !$0.isEmpty } ?? "mlflow"
        config["method"] = nil   // the store adds the method itself, as text
        let start = RunStart(experiment: intoExperiment ?? run.experiment, name: run.tags["mlflow.runName"] ?? run.name,
                             method: method, config: config, pareVersion: Recorder.pareVersion, source: .mlflow,
                             uid: uid(run), startedAt: run.startTime.map(LogTime.iso),
                             endedAt: (run.endTime ?? run.startTime).map(LogTime.iso))
        let metrics = metricRows(run.metrics)
        let failed = run.status == .failed || run.status == .killed
        let outcome = RunOutcome(metrics: metrics, reported: Set(metrics.map(\.key)), tags: run.tags,
                                 error: failed ? "MLflow status \(run.status.rawValue)" : nil)
        return (start, outcome)
    }

    /// Each metric's latest value at step 0, and, for a metric logged at several steps, its
    /// history as a curve at steps s + 1 (a negative MLflow step has no place on it).
    static func metricRows(_ points: [MLflowMetricPoint]) -> [(key: String, value: Double, step: Int)] {
        // MLflow's "latest" (SqlAlchemyStore._update_latest_metrics_if_necessary): the greatest
        // (step, timestamp, value); the last point at a step is the greatest (timestamp, value).
        func later(_ a: MLflowMetricPoint, _ b: MLflowMetricPoint) -> Bool {
            (a.step, a.timestamp) != (b.step, b.timestamp) ? (a.step, a.timestamp) > (b.step, b.timestamp)
                : (a.value.isNaN ? -.infinity : a.value) > (b.value.isNaN ? -.infinity : b.value)
        }
        var rows: [(key: String, value: Double, step: Int)] = []
        let byKey = Dictionary(grouping: points, by: \.key)
        for key in byKey.keys.sorted() {
            let points = byKey[key]!
            let latest = points.reduce(points[0]) { later($1, $0) ? $1 : $0 }
            rows.append((key: key, value: latest.value, step: 0))
            let bySteps = Dictionary(grouping: points.filter { $0.step >= 0 }, by: \.step)
            guard bySteps.count > 1 else { continue }
            for step in bySteps.keys.sorted() {
                let atStep = bySteps[step]!
                let last = atStep.reduce(atStep[0]) { later($1, $0) ? $1 : $0 }
                rows.append((key: key, value: last.value, step: Int(step) + 1))
            }
        }
        return rows
    }

    /// A param's text typed as `--set` values are read (Settings: Int, then Double), plus
    /// Python's booleans, which MLflow logs as "True"/"False". A whole number too large for an
    /// Int stays text, so no digit is lost; so does anything not written as a decimal number
    /// ("nan", "inf", "0x10").
    public static func typed(_ text: String) -> ConfigValue {
        if let int = Int(text) { return .int(int) }
        switch text {
        case "True", "true": return .bool(true)
        case "False", "false": return .bool(false)
        default: break
        }
        let decimal = !text.isEmpty && text.allSatisfy { "0123456789+-.eE".contains($0) }
        let wholeNumber = text.allSatisfy { "0123456789+-".contains($0) }
        if decimal, !wholeNumber, let double = Double(text), double.isFinite { return .double(double) }
        return .string(text)
    }
}
