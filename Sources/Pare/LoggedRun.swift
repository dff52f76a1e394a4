import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor

/// What `pare log` records: a run another tool computed (llm-compressor, AutoGPTQ,
/// llama-quantize, a script), as a value a test can build without a process.
public struct LogRequest: Sendable {
    public var method: String
    /// A model Pare can load (recorded as the base model, so the run compares with that
    /// model's `none` run) or, when no such path exists, a name kept as the param `base_model`.
    public var base: String
    /// The compressed model (safetensors, Hugging Face directory or GGUF), stored exactly.
    public var modelPath: String?
    public var params: [String: ConfigValue]
    /// In the order given.
    public var metrics: [(key: String, value: Double)]
    public var tags: [String: String]
    public var name: String?
    public var experiment: String
    /// Measure `modelPath` with Pare's own evaluation on `testPath`: the run's metrics are then
    /// Pare's, and `metrics` are kept beside them as reported by the user.
    public var evaluate: Bool
    public var testPath: String?
    public var measureSpeed: Bool
    /// The run's own times (ISO 8601; nil = now) and identity (nil = a new random one).
    public var startedAt: String?
    public var endedAt: String?
    public var uid: String?

    public init(method: String, base: String, modelPath: String? = nil, params: [String: ConfigValue] = [:],
                metrics: [(key: String, value: Double)] = [], tags: [String: String] = [:], name: String? = nil,
                experiment: String = "default", evaluate: Bool = false, testPath: String? = nil,
                measureSpeed: Bool = true, startedAt: String? = nil, endedAt: String? = nil, uid: String? = nil) {
        self.method = method; self.base = base; self.modelPath = modelPath; self.params = params
        self.metrics = metrics; self.tags = tags; self.name = name; self.experiment = experiment
        self.evaluate = evaluate; self.testPath = testPath; self.measureSpeed = measureSpeed
        self.startedAt = startedAt; self.endedAt = endedAt; self.uid = uid
    }
}

/// A logged run the user described wrongly (a key, a value, a missing or contradictory
/// field): one sentence; the CLI exits 64 for it.
public struct LogInputError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Records runs computed elsewhere. Everything is checked and loaded before the store is
/// touched, and each run is written in one transaction.
public enum RunLog {
    /// A logged run's global identity in the record: the other tool's id under "log:", apart
    /// from Pare's own random ids and an import's ("mlflow:…").
    public static func storedUID(_ uid: String) -> String { "log:" + uid }

    /// The param that names a base model Pare cannot load.
    public static let baseModelParam = "base_model"
    /// Metrics Pare measures itself on a stored `--model`, even without `--evaluate`.
    public static let storedModelMetrics: Set<String> = ["size_bytes", "params_total", "base_size_bytes", "compression_ratio"]

    /// A logged run checked and loaded: the run row and results the store will write, and
    /// (with `evaluate`) what Pare still has to measure.
    public struct Prepared: @unchecked Sendable {
        public var start: RunStart
        public var outcome: RunOutcome
        var evaluation: Evaluation?
    }

    /// The loaded inputs of `--evaluate`: run after the store opens (a probe's cache lives there).
    struct Evaluation {
        var base: ModelIO.Loaded
        var data: RunData
        var model: ModelIO.Loaded
        var request: RecordRequest
    }

    /// Base models loaded once per process: a `--from` file names the same base on every line,
    /// and hashing a model's weights is the slow part of logging against it.
    public final class Models: @unchecked Sendable {
        private var loaded: [String: ModelIO.Loaded] = [:]
        private var paths: [String: Bool] = [:]
        public init() {}
        /// Whether `base` names a file or directory (else it is a model's name).
        func isPath(_ base: String) -> Bool {
            if let known = paths[base] { return known }
            let exists = FileManager.default.fileExists(atPath: base)
            paths[base] = exists
            return exists
        }
        func load(_ path: String) throws -> ModelIO.Loaded {
            if let model = loaded[path] { return model }
            let model = try ModelIO.load(contentsOf: URL(fileURLWithPath: path))
            loaded[path] = model
            return model
        }
    }

    /// Records one logged run; returns its id.
    public static func record(_ request: LogRequest, store: any RunRecorder,
                              progress: @escaping @Sendable (Double, String) -> Void = { _, _ in }) throws -> Int64 {
        var run = try prepare(request)
        try measure(&run, store: store as? Store, progress: progress)
        return try store.record(run.start, run.outcome)
    }

    /// Checks a request and loads its models: every mistake is found here, before any write.
    public static func prepare(_ request: LogRequest, models: Models = Models()) throws -> Prepared {
        try check(request)
        var config = request.params
        var outcome = RunOutcome(tags: request.tags)
        var start: RunStart
        var evaluation: Evaluation?
        let basePath = models.isPath(request.base) ? request.base : nil
        if request.evaluate {
            guard let basePath else {
                throw LogInputError("--evaluate compares the model with its base, but --base '\(request.base)' is not a model file or directory here; pass the base model's path.")
            }
            guard let modelPath = request.modelPath else {
                throw LogInputError("--evaluate measures the compressed model: pass it with --model FILE.")
            }
            guard let test = request.testPath else {
                throw LogInputError("--evaluate needs --test SPEC (the data Pare evaluates on, as for pare record).")
            }
            let record = RecordRequest(modelPath: basePath, testPath: test, method: NoCompression.name,
                                       name: request.name, experiment: request.experiment, measureSpeed: request.measureSpeed)
            let (base, data) = try Recorder.loadInputs(record, loaded: try models.load(basePath))
            let model = try ModelIO.load(contentsOf: URL(fileURLWithPath: modelPath))
            if !model.model.isTransformer { try data.check(against: model.model) }
            start = Recorder.runStart(method: request.method, config: [:], base: base, data: data, request: record,
                                      name: request.name, parentRunID: nil)
            outcome.reportedAlongside = request.metrics.map { (key: $0.key, value: $0.value, step: 0) }
            evaluation = Evaluation(base: base, data: data, model: model, request: record)
        } else {
            if request.testPath != nil {
                throw LogInputError("--test is what --evaluate measures on; add --evaluate, or leave --test out.")
            }
            let base = try basePath.map { try models.load($0) }
            if base == nil {
                if config[baseModelParam] != nil {
                    throw LogInputError("param '\(baseModelParam)' is taken by --base '\(request.base)' (not a model path, so kept as that param); drop the param.")
                }
                config[baseModelParam] = .string(request.base)
            }
            start = RunStart(experiment: request.experiment, name: request.name, method: request.method,
                             baseModel: base.map(modelInfo), pareVersion: Recorder.pareVersion)
            var measured: [String: Double] = [:]
            if let modelPath = request.modelPath {
                let model = try ModelIO.load(contentsOf: URL(fileURLWithPath: modelPath))
                outcome.tensors = Recorder.storedTensors(model.model)
                measured = sizes(of: model.model, tensors: outcome.tensors, base: base)
                if base == nil {
                    // No base to rebuild the stored tensors with (export-model, generate --run):
                    // the logged model's own architecture and files are recorded as the run's
                    // model, under the name given as --base (also kept as the param base_model).
                    var own = modelInfo(model)
                    own.name = request.base
                    start.baseModel = own
                }
            }
            outcome.metrics = measured.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value, step: 0) }
            for m in request.metrics {
                if measured[m.key] != nil {
                    outcome.reportedAlongside.append((key: m.key, value: m.value, step: 0))
                } else {
                    outcome.metrics.append((key: m.key, value: m.value, step: 0))
                    outcome.reported.insert(m.key)
                }
            }
        }
        start.config = config
        start.source = .log
        start.uid = request.uid.map(storedUID)
        start.startedAt = try request.startedAt.map { try LogTime.normalized($0, field: "started_at") }
        start.endedAt = try request.endedAt.map { try LogTime.normalized($0, field: "ended_at") }
        if let s = start.startedAt, let e = start.endedAt, e < s {
            throw LogInputError("ended_at \(e) is before started_at \(s); give the run's times in order.")
        }
        return Prepared(start: start, outcome: outcome, evaluation: evaluation)
    }

    /// Pare's evaluation of an `--evaluate` run (nothing for the others): the same code path
    /// and metric names as `pare record --method none` on that model.
    public static func measure(_ run: inout Prepared, store: Store?,
                               progress: @escaping @Sendable (Double, String) -> Void = { _, _ in }) throws {
        guard let e = run.evaluation else { return }
        let none = try NoCompression(settings: Settings(method: NoCompression.name, values: [:]))
        var (outcome, _) = try Recorder.compressAndEvaluate(method: none, input: e.model.model, base: e.base, data: e.data,
                                                            request: e.request, store: store, progress: progress)
        // Pare compressed nothing here: its compress_seconds would time a no-op.
        outcome.metrics.removeAll { $0.key == "compress_seconds" }
        run.outcome.metrics = outcome.metrics
        run.outcome.tensors = outcome.tensors
        run.outcome.notes = outcome.notes
        run.evaluation = nil
    }

    /// The sizes Pare measures on a stored model: its encoded bytes and parameters, and against
    /// a loaded base, the base's size and the ratio (as every Pare run reports them).
    static func sizes(of model: Model, tensors: [(name: String, tensor: EncodedTensor)], base: ModelIO.Loaded?) -> [String: Double] {
        let size = tensors.reduce(0) { $0 + $1.tensor.payload.count }
        var out = ["size_bytes": Double(size), "params_total": Double(model.parameterCount)]
        if let base {
            out["base_size_bytes"] = Double(base.sizeBytes)
            out["compression_ratio"] = size > 0 ? Double(base.sizeBytes) / Double(size) : .infinity
        }
        return out
    }

    /// The base model as the record keeps it (as `Recorder.runStart` writes it).
    static func modelInfo(_ base: ModelIO.Loaded) -> ModelInfo {
        ModelInfo(hash: base.hash, name: base.name,
                  archJSON: Recorder.archJSON(base.model, configJSON: base.files.first { $0.name == TransformerIO.configFile }?.bytes),
                  params: base.model.parameterCount, sizeBytes: base.sizeBytes, files: base.files)
    }

    /// The request's own fields, checked before any file is read.
    static func check(_ request: LogRequest) throws {
        if request.method.allSatisfy(\.isWhitespace) { throw LogInputError("the method is empty; name it with --method NAME (e.g. gptq).") }
        if request.base.allSatisfy(\.isWhitespace) {
            throw LogInputError("the base model is empty; pass --base with a model path or a name such as meta-llama/Llama-3.2-1B.")
        }
        if request.experiment.allSatisfy(\.isWhitespace) { throw LogInputError("the experiment name is empty; leave it out for \"default\".") }
        if let name = request.name, name.allSatisfy(\.isWhitespace) { throw LogInputError("the run name is empty; give one or leave it out.") }
        if let uid = request.uid, uid.isEmpty || uid.contains(where: \.isWhitespace) {
            throw LogInputError("uid '\(uid)' is empty or has a space; use the other tool's run id as it is.")
        }
        for key in request.params.keys { try checkKey(key, kind: "param") }
        for key in request.tags.keys { try checkKey(key, kind: "tag") }
        if request.params["method"] != nil { throw LogInputError("param 'method' is the run's method; give it with --method, not as a param.") }
        var seen = Set<String>()
        for m in request.metrics {
            try checkKey(m.key, kind: "metric")
            guard seen.insert(m.key).inserted else { throw LogInputError("metric '\(m.key)' is given twice; give each metric once.") }
            guard m.value.isFinite else { throw LogInputError("metric '\(m.key)' is \(m.value); a metric must be a finite number.") }
        }
    }

    /// Keys are non-empty and without whitespace, so a filter (`params.k`, `tags.k`) can name them.
    static func checkKey(_ key: String, kind: String) throws {
        if key.isEmpty { throw LogInputError("a \(kind) has an empty name; write \(kind) NAME=VALUE.") }
        // Bytes first (a Character walk is slow at thousands of keys a second), Unicode spaces too.
        let ascii = key.utf8.allSatisfy { $0 < 0x80 }
        if ascii ? key.utf8.contains(where: { $0 == 0x20 || (0x09...0x0D).contains($0) }) : key.contains(where: \.isWhitespace) {
            throw LogInputError("\(kind) name '\(key)' contains a space; use a name without spaces (e.g. '\(key.split(whereSeparator: \.isWhitespace).joined(separator: "_"))').")
        }
    }

    // MARK: Command-line values

    /// Splits repeated `k=v` options (`--param`, `--metric`, `--tag`), refusing a missing '=',
    /// a bad key or a key given twice.
    public static func pairs(_ items: [String], option: String) throws -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        var seen = Set<String>()
        for item in items {
            guard let eq = item.firstIndex(of: "=") else {
                throw LogInputError("--\(option) expects NAME=VALUE, got '\(item)'.")
            }
            let key = String(item[..<eq])
            try checkKey(key, kind: option)
            guard seen.insert(key).inserted else { throw LogInputError("--\(option) \(key) is given twice; give each \(option) once.") }
            out.append((key, String(item[item.index(after: eq)...])))
        }
        return out
    }

    /// A `--param` value typed as a setting's text reads: an integer, a real, true/false, else text.
    public static func paramValue(_ text: String) -> ConfigValue {
        if let v = Int(text) { return .int(v) }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        // Double() also reads "nan", "inf" and hex floats; a param that says so stays text.
        if let v = Double(text), v.isFinite, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) { return .double(v) }
        return .string(text)
    }

    /// A `--metric` value: a finite number, else one sentence.
    public static func metricValue(_ text: String, key: String) throws -> Double {
        guard let v = Double(text), v.isFinite, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) else {
            throw LogInputError("metric '\(key)' is '\(text)', not a number; a metric must be a number (e.g. \(key)=0.91).")
        }
        return v
    }
}

/// A run's own times as the record writes them: UTC ISO 8601 with milliseconds.
enum LogTime {
    /// "2025-01-31T12:34:56Z", "…56.5Z", "…56.789+02:00" → "2025-01-31T10:34:56.789Z".
    static func normalized(_ text: String, field: String) throws -> String {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = withFraction.date(from: text) ?? plain.date(from: text) else {
            throw LogInputError("\(field) '\(text)' is not an ISO 8601 time; write e.g. 2025-01-31T12:34:56Z.")
        }
        return iso(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// Milliseconds since the epoch → "2026-01-01T00:00:00.000Z" (integer arithmetic: no
    /// formatter per call, which `--from` and an MLflow import would make per line).
    static func iso(milliseconds ms: Int64) -> String {
        let seconds = ms.quotientAndRemainder(dividingBy: 1000)
        let (whole, millis) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : seconds
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis))
    }
}
