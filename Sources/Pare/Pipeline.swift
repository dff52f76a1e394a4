import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor

/// A chain of methods applied one after another, as Deep Compression chains pruning and
/// quantization: `prune-magnitude+quant-weight`, or a recipe file. A single method is the
/// one-stage case (recorded exactly as `pare record` records it).
///
/// Settings of a pipeline carry a stage prefix, `PREFIX.key=value`, where PREFIX is any of:
/// - the stage's family: its method name up to the first '-' (`prune`, `quant`), when no other
///   stage has the same family;
/// - the stage's full method name (`prune-magnitude`), when no other stage has that method;
/// - the stage's number, 1-based (`1`, `2`), always.
/// So `--set prune.amount=0.5 --set quant.bits=4`, `--set prune-magnitude.amount=0.5` and
/// `--set 1.amount=0.5` all set the first stage of `prune-magnitude+quant-weight`.
public struct PipelineSpec: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        public var method: String
        public var settings: [String: String]
        public init(method: String, settings: [String: String] = [:]) {
            self.method = method
            self.settings = settings
        }
    }

    public var stages: [Stage]

    public init(stages: [Stage]) { self.stages = stages }

    /// "prune-magnitude+quant-weight".
    public var name: String { stages.map(\.method).joined(separator: "+") }
    public var isPipeline: Bool { stages.count > 1 }

    public static func isPipeline(_ method: String) -> Bool { method.contains("+") }

    static func family(_ method: String) -> String { String(method.prefix(while: { $0 != "-" })) }

    /// The prefixes that address stage `index` (0-based), most readable first.
    public func prefixes(ofStage index: Int) -> [String] {
        let method = stages[index].method
        var out: [String] = []
        let fam = Self.family(method)
        if stages.filter({ Self.family($0.method) == fam }).count == 1 { out.append(fam) }
        if fam != method, stages.filter({ $0.method == method }).count == 1 { out.append(method) }
        out.append(String(index + 1))
        return out
    }

    /// The prefix recorded for stage `index`'s config in later stages' configs.
    public func recordedPrefix(ofStage index: Int) -> String { prefixes(ofStage: index)[0] }

    /// `--method A+B --set prefix.key=value …`, or one method with plain settings.
    public static func parse(method: String, settings: [String: String]) throws -> PipelineSpec {
        guard isPipeline(method) else { return PipelineSpec(stages: [Stage(method: method, settings: settings)]) }
        let names = method.split(separator: "+", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if names.contains(where: \.isEmpty) {
            throw PareError("pipeline '\(method)' has an empty stage; write methods joined by '+', e.g. prune-magnitude+quant-weight.")
        }
        for name in names where !Methods.names.contains(name) {
            throw PareError("pipeline '\(method)' has an unknown stage '\(name)' (known methods: \(Methods.names.joined(separator: ", "))).")
        }
        var spec = PipelineSpec(stages: names.map { Stage(method: $0) })
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            let (stage, setting) = try spec.stage(addressedBy: key, pipeline: method)
            spec.stages[stage].settings[setting] = value
        }
        return spec
    }

    /// Which stage `prefix.key` sets, and the key within that stage.
    func stage(addressedBy key: String, pipeline: String) throws -> (Int, String) {
        let examples = stages.indices.map { "\(prefixes(ofStage: $0)[0]).KEY" }.joined(separator: ", ")
        guard let dot = key.firstIndex(of: "."), dot != key.startIndex, key.index(after: dot) != key.endIndex else {
            throw PareError("setting '\(key)' of pipeline \(pipeline) needs a stage prefix (\(examples)).")
        }
        let prefix = String(key[..<dot]), setting = String(key[key.index(after: dot)...])
        guard let stage = stages.indices.first(where: { prefixes(ofStage: $0).contains(prefix) }) else {
            let known = stages.indices.flatMap { prefixes(ofStage: $0) }
            throw PareError("setting '\(key)': '\(prefix)' is no stage of pipeline \(pipeline) (stage prefixes: \(known.joined(separator: ", "))).")
        }
        return (stage, setting)
    }

    /// A recipe: `{"stages":[{"method":"prune-magnitude","settings":{"amount":0.5}}, …]}`.
    /// Setting values may be strings, numbers, booleans or arrays of those (joined with ',').
    public static func recipe(contentsOf url: URL) throws -> PipelineSpec {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PareError("no recipe file at \(url.path).")
        }
        return try recipe(data: data, source: url.lastPathComponent)
    }

    public static func recipe(data: Data, source: String) throws -> PipelineSpec {
        do {
            return PipelineSpec(stages: try JSONDecoder().decode(RecipeFile.self, from: data).stages.map(\.stage))
        } catch let error as PareError {
            throw PareError("recipe \(source): \(error.description).")
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw PareError("recipe \(source) is not valid JSON; expected {\"stages\":[{\"method\":…,\"settings\":{…}}]}.")
        } catch {
            throw PareError("recipe \(source) is not of the form {\"stages\":[{\"method\":…,\"settings\":{…}}]}.")
        }
    }
}

/// The recipe file, read strictly: unknown keys and unknown methods are errors.
struct RecipeFile: Decodable {
    var stages: [RecipeStage]

    init(from decoder: Decoder) throws {
        guard let c = try? decoder.container(keyedBy: AnyKey.self) else {
            throw PareError("it must be a JSON object with a \"stages\" array")
        }
        if let extra = c.allKeys.map(\.stringValue).sorted().first(where: { $0 != "stages" }) {
            throw PareError("unknown key '\(extra)' (a recipe takes: stages)")
        }
        guard c.contains(AnyKey("stages")), var list = try? c.nestedUnkeyedContainer(forKey: AnyKey("stages")) else {
            throw PareError("it needs a \"stages\" array")
        }
        var stages: [RecipeStage] = []
        while !list.isAtEnd {
            let n = stages.count + 1
            guard let entry = try? list.nestedContainer(keyedBy: AnyKey.self) else {
                throw PareError("stage \(n) must be an object with \"method\" and \"settings\"")
            }
            if let extra = entry.allKeys.map(\.stringValue).sorted().first(where: { $0 != "method" && $0 != "settings" }) {
                throw PareError("stage \(n) has an unknown key '\(extra)' (a stage takes: method, settings)")
            }
            guard let method = try? entry.decode(String.self, forKey: AnyKey("method")) else {
                throw PareError("stage \(n) needs a \"method\" string")
            }
            guard Methods.names.contains(method) else {
                throw PareError("stage \(n) has an unknown method '\(method)' (known: \(Methods.names.joined(separator: ", ")))")
            }
            var settings: [String: String] = [:]
            if entry.contains(AnyKey("settings")) {
                guard let values = try? entry.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("settings")) else {
                    throw PareError("stage \(n) \"settings\" must be an object of key: value")
                }
                for key in values.allKeys {
                    guard let value = try? values.decode(RecipeValue.self, forKey: key) else {
                        throw PareError("stage \(n) setting '\(key.stringValue)' must be a string, number, boolean or a list of those")
                    }
                    settings[key.stringValue] = value.text
                }
            }
            stages.append(RecipeStage(stage: PipelineSpec.Stage(method: method, settings: settings)))
        }
        guard !stages.isEmpty else { throw PareError("its \"stages\" array is empty") }
        self.stages = stages
    }
}

struct RecipeStage { var stage: PipelineSpec.Stage }

/// A setting value in a recipe: a scalar as text, or a list of scalars joined with ','.
struct RecipeValue: Decodable {
    var text: String
    init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var parts: [String] = []
            while !list.isAtEnd { parts.append(try list.decode(RecipeValue.self).text) }
            guard !parts.isEmpty else { throw PareError("empty list") }
            text = parts.joined(separator: ",")
            return
        }
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
        else if let i = try? c.decode(Int.self) { text = String(i) }
        else if let d = try? c.decode(Double.self) { text = String(d) }
        else { text = try c.decode(String.self) }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Records a pipeline: each stage a run whose `parent_run_id` is the previous stage's run,
/// applied to the previous stage's compressed model in memory, and evaluated — like every run —
/// against the ORIGINAL base model (accuracy, agreement, kl_to_base, weight_rel_error, and
/// compression_ratio = base size / this stage's size). So the last stage's metrics are those of
/// the whole pipeline.
///
/// Each stage's config is its method's config plus `pipeline` (the spec, e.g.
/// "prune-magnitude+quant-weight"), `stage` (1-based) and every earlier stage's config under
/// its recorded prefix (`prune.amount`, `prune.scope`, …): a stage's config names everything
/// that made its model, so its config hash identifies the whole chain up to it (what a sweep
/// resumes by).
public enum Pipeline {
    public struct Prepared: Sendable {
        public var spec: PipelineSpec
        public var methods: [any CompressionMethod]
        public var base: ModelIO.Loaded
        public var data: RunData
        public var request: RecordRequest
    }

    /// Checks every stage's method and settings, then the files, before the database is touched.
    public static func prepare(_ request: RecordRequest, spec: PipelineSpec) throws -> Prepared {
        let methods = try makeMethods(spec)
        var (base, data) = try Recorder.loadInputs(request)
        try checkLayers(spec, in: base.model)
        data.models = try Recorder.loadModels(for: methods)
        try Recorder.validate(methods, base: base, data: data, request: request)
        return Prepared(spec: spec, methods: methods, base: base, data: data, request: request)
    }

    /// Every stage's method, configured; a bad setting names its stage.
    static func makeMethods(_ spec: PipelineSpec) throws -> [any CompressionMethod] {
        guard !spec.stages.isEmpty else { throw PareError("a pipeline needs at least one stage.") }
        let methods = try spec.stages.enumerated().map { i, stage in
            do { return try Methods.make(stage.method, settings: stage.settings) }
            catch where spec.isPipeline { throw PareError("stage \(i + 1) of \(spec.name): \(error)") }
        }
        let loraStages = Set(methods.indices.filter { ((methods[$0] as? FineTune)?.loraRank ?? 0) > 0 })
        do { try StageOrder.check(spec.stages.map(\.method), loraStages: loraStages) }
        catch { throw PareError("pipeline \(spec.name): \(error)") }
        return methods
    }

    static func checkLayers(_ spec: PipelineSpec, in model: Model) throws {
        for stage in spec.stages { try Recorder.checkLayerNames(stage.settings, in: model, method: stage.method) }
    }

    /// The config recorded for stage `index` (before the seed, which `Recorder` adds).
    static func config(of index: Int, spec: PipelineSpec, methods: [any CompressionMethod]) -> [String: ConfigValue] {
        var config = methods[index].config
        guard spec.isPipeline else { return config }
        config["pipeline"] = .string(spec.name)
        config["stage"] = .int(index + 1)
        for j in 0..<index {
            let prefix = spec.recordedPrefix(ofStage: j)
            for (key, value) in methods[j].config { config["\(prefix).\(key)"] = value }
        }
        return config
    }

    /// The final stage's run row as it would be written: what a sweep looks up to resume.
    static func finalRunStart(_ run: Prepared) -> RunStart {
        let last = run.methods.count - 1
        return Recorder.runStart(method: run.methods[last].name, config: config(of: last, spec: run.spec, methods: run.methods),
                                 base: run.base, data: run.data, request: run.request,
                                 name: run.request.name, parentRunID: nil)
    }

    /// Every stage's run row as it would be written (parents unknown): a sweep discards the
    /// interrupted attempts of each before recording the point again.
    static func stageRunStarts(_ run: Prepared) -> [RunStart] {
        run.methods.indices.map { i in
            Recorder.runStart(method: run.methods[i].name, config: config(of: i, spec: run.spec, methods: run.methods),
                              base: run.base, data: run.data, request: run.request, name: run.request.name, parentRunID: nil)
        }
    }

    /// Records every stage in order; returns the stage run ids (the last is the pipeline's
    /// result). A failing stage is marked failed and the error rethrown; earlier stages stay
    /// finished (each is a complete run of its own).
    public static func record(_ run: Prepared, store: any RunTracker,
                              progress: @escaping @Sendable (Double, String) -> Void = { _, _ in },
                              onRunStarted: (Int64) -> Void = { _ in }) throws -> [Int64] {
        var ids: [Int64] = []
        var model = run.base.model
        let n = run.methods.count
        for (i, method) in run.methods.enumerated() {
            let name = (i == n - 1 || !run.spec.isPipeline) ? run.request.name
                : run.request.name.map { "\($0) (stage \(i + 1)/\(n))" }
            let stage = try Recorder.recordStage(
                method: method, config: config(of: i, spec: run.spec, methods: run.methods), input: model,
                base: run.base, data: run.data, request: run.request, name: name, store: store,
                parentRunID: ids.last,
                progress: { fraction, label in progress((Double(i) + fraction) / Double(n), n > 1 ? "\(method.name) \(label)" : label) },
                onRunStarted: onRunStarted)
            ids.append(stage.id)
            model = stage.model
        }
        return ids
    }
}
