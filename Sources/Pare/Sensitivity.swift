import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor

/// What `pare sensitivity` asks for: one method with its settings, the model and data (as
/// `record`), and how the Linear layers are grouped.
public struct SensitivityRequest: Sendable {
    public enum Grouping: String, Sendable, CaseIterable {
        /// Each Linear layer alone.
        case layer
        /// Each transformer block's Linear layers together (`model.layers.3.*`); a layer outside
        /// any block (`lm_head`, an MLP's `fc1`) is a group of its own.
        case block
    }

    public var base: RecordRequest
    public var grouping: Grouping

    public init(base: RecordRequest, grouping: Grouping = .layer) {
        self.base = base
        self.grouping = grouping
    }
}

/// `pare sensitivity`: compress one group of Linear layers at a time (the method with
/// `layers=` set to the group), each a run of one experiment, beside a run of the uncompressed
/// model (`none`) as the reference, and report how much each group's compression moves the
/// model's headline metric. Built on `Sweep`, so it resumes the same way: a group whose run
/// is already recorded (same config, experiment, model and data) is not recorded again.
public enum Sensitivity {
    public struct Group: Sendable, Equatable {
        public var name: String
        public var layers: [String]
    }

    public struct Prepared: Sendable {
        public var request: SensitivityRequest
        public var groups: [Group]
        /// The reference run first, then one point per group.
        public var sweep: Sweep.Prepared
    }

    /// The label of the reference run's point.
    public static let baseLabel = "base"

    /// Groups of `paths` (in forward order): every path alone, or by block — the prefix up to
    /// the first all-digit component of the path (`model.layers.3`, `encoder.layer.0`).
    public static func groups(of paths: [String], by grouping: SensitivityRequest.Grouping) -> [Group] {
        switch grouping {
        case .layer:
            return paths.map { Group(name: $0, layers: [$0]) }
        case .block:
            var out: [Group] = []
            for path in paths {
                let parts = path.split(separator: ".")
                let key = parts.firstIndex(where: { $0.allSatisfy(\.isNumber) })
                    .map { parts[...$0].joined(separator: ".") } ?? path
                if let i = out.firstIndex(where: { $0.name == key }) { out[i].layers.append(path) }
                else { out.append(Group(name: key, layers: [path])) }
            }
            return out
        }
    }

    /// Checks the method, its settings for every group and the files before the database is touched.
    public static func prepare(_ request: SensitivityRequest) throws -> Prepared {
        let method = request.base.method
        if PipelineSpec.isPipeline(method) {
            throw PareError("sensitivity compresses with one method at a time, not the pipeline '\(method)'; give one method.")
        }
        if method == NoCompression.name {
            throw PareError("sensitivity with --method none would compare the model with itself; give a compression method.")
        }
        if request.base.settings["per_layer"] != nil {
            throw PareError("sensitivity sets layers= to each group in turn, so per_layer does not apply; drop per_layer.")
        }
        _ = try Methods.make(method, settings: request.base.settings)
        var (base, data) = try Recorder.loadInputs(request.base)
        let selection: [String]
        do {
            let names = request.base.settings["layers"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            selection = try LayerSelection(names: names).paths(in: base.model.layers.map(\.name),
                                                               defaults: base.model.defaultLayerNames, method: method)
        } catch let error as ConfigError { throw PareError(error.description) }
        let groups = groups(of: selection, by: request.grouping)
        let referenceSpec = PipelineSpec(stages: [.init(method: NoCompression.name)])
        var specs: [(label: String, spec: PipelineSpec)] = [(baseLabel, referenceSpec)]
        for group in groups {
            var settings = request.base.settings
            settings["layers"] = group.layers.joined(separator: ",")
            specs.append((group.name, PipelineSpec(stages: [.init(method: method, settings: settings)])))
        }
        var methods: [[any CompressionMethod]] = []
        for (label, spec) in specs {
            do { methods.append(try Pipeline.makeMethods(spec)) }
            catch { throw PareError("group \(label): \(error)") }
        }
        data.models = try Recorder.loadModels(for: methods.flatMap { $0 })
        var points: [Sweep.Point] = []
        for ((label, spec), stageMethods) in zip(specs, methods) {
            var runRequest = request.base
            runRequest.method = spec.name
            runRequest.settings = spec.stages[0].settings
            runRequest.name = (request.base.name.map { $0 + " " } ?? "") + "sensitivity \(label)"
            do { try Recorder.validate(stageMethods, base: base, data: data, request: runRequest) }
            catch { throw PareError("group \(label): \(error)") }
            points.append(Sweep.Point(gridValues: [(key: "group", value: label)],
                                      run: Pipeline.Prepared(spec: spec, methods: stageMethods, base: base, data: data, request: runRequest)))
        }
        let sweepRequest = SweepRequest(base: request.base, grid: [GridAxis(key: "group", values: specs.map(\.label))])
        return Prepared(request: request, groups: groups, sweep: Sweep.Prepared(request: sweepRequest, points: points))
    }

    /// Records the reference and every group not already recorded.
    public static func run(_ prepared: Prepared, store: any RunTracker,
                           progress: @escaping @Sendable (Double, String) -> Void = { _, _ in },
                           onRunStarted: (Int64) -> Void = { _ in }, onRunEnded: () -> Void = {}) throws -> [Sweep.Outcome] {
        try Sweep.run(prepared.sweep, store: store, progress: progress, onRunStarted: onRunStarted, onRunEnded: onRunEnded)
    }

    /// The headline metric of a run's metrics: perplexity for a decoder LM, else accuracy,
    /// else embedding cosine (an encoder without a probe).
    public static func headlineMetric(_ metrics: [String: Double]) -> String? {
        ["perplexity", "accuracy", "embedding_cosine"].first { metrics[$0] != nil }
    }

    /// One row per group: its runs' metric and the change against the reference run.
    public struct Result: Sendable {
        public var metric: String
        public var baseValue: Double?
        public var rows: [(group: String, layers: Int, run: Int64?, status: Sweep.Status, value: Double?, delta: Double?)]
    }

    public static func result(_ prepared: Prepared, _ outcomes: [Sweep.Outcome], store: any RunTracker) throws -> Result {
        let metrics = try outcomes.map { o in try o.runID.map { try store.finalMetrics(run: $0) } ?? [:] }
        let metric = metrics.lazy.compactMap(headlineMetric).first ?? "perplexity"
        let baseValue = metrics.first?[metric]
        var rows: [(group: String, layers: Int, run: Int64?, status: Sweep.Status, value: Double?, delta: Double?)] = []
        for (i, outcome) in outcomes.enumerated().dropFirst() {
            let group = prepared.groups[i - 1]
            let value = metrics[i][metric]
            var delta: Double?
            if let value, let baseValue { delta = value - baseValue }
            rows.append((group.name, group.layers.count, outcome.runID, outcome.status, value, delta))
        }
        return Result(metric: metric, baseValue: baseValue, rows: rows)
    }

    /// The table `pare sensitivity` prints: group, layers, run, status, the metric, Δ vs base.
    public static func table(_ result: Result) -> ResultTable {
        func cell(_ v: Double?) -> TableValue { v.map { $0.isNaN ? .null : .double($0) } ?? .null }
        var rows: [[TableValue]] = [[.text(baseLabel), .null, .null, .text("reference"), cell(result.baseValue), .double(0)]]
        rows += result.rows.map { row in
            [.text(row.group), .int(Int64(row.layers)), row.run.map { .int($0) } ?? .null, .text(row.status.rawValue),
             cell(row.value), cell(row.delta)]
        }
        return ResultTable(columns: ["group", "layers", "run", "status", result.metric, "delta_vs_base"], rows: rows)
    }

    /// One bar per group: Δ of the metric against the reference.
    public static func chart(_ result: Result, method: String, grouping: SensitivityRequest.Grouping) -> BarChart {
        let lowerIsBetter = MetricVocabulary.higherIsBetter(result.metric) == false
        let bars = result.rows.map { row in
            BarChart.Bar(label: row.group, value: row.delta ?? .nan,
                         detail: "\(row.group): \(result.metric) \(row.value.map { String(format: "%.6g", $0) } ?? "—")"
                             + (row.run.map { " (run \($0))" } ?? ""))
        }
        let base = result.baseValue.map { String(format: "%.6g", $0) } ?? "—"
        return BarChart(title: "Sensitivity to \(method), one \(grouping.rawValue) at a time",
                        subtitle: "\(result.metric) of the base model: \(base); each bar: the change when only that \(grouping.rawValue) is compressed",
                        axisTitle: "Δ \(result.metric) vs base (\(lowerIsBetter ? "lower" : "higher") is better)", bars: bars,
                        positiveIsWorse: lowerIsBetter)
    }
}
