import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor

/// What `pare record` asks for, as a value a test can build without a process.
public struct RecordRequest: Sendable {
    public var modelPath: String
    public var arch: String?
    public var trainPath: String?
    public var testPath: String?
    public var calibrationPath: String?
    public var method: String
    public var settings: [String: String]
    public var name: String?
    public var experiment: String
    public var seed: UInt64
    /// Measure latency and throughput (off in tests that only check accuracy and sizes).
    public var measureSpeed: Bool

    public init(modelPath: String, arch: String? = nil, trainPath: String? = nil, testPath: String? = nil,
                calibrationPath: String? = nil, method: String, settings: [String: String] = [:],
                name: String? = nil, experiment: String = "default", seed: UInt64 = 0, measureSpeed: Bool = true) {
        self.modelPath = modelPath
        self.arch = arch
        self.trainPath = trainPath
        self.testPath = testPath
        self.calibrationPath = calibrationPath
        self.method = method
        self.settings = settings
        self.name = name
        self.experiment = experiment
        self.seed = seed
        self.measureSpeed = measureSpeed
    }
}

/// load → compress → evaluate → record. Everything the user could have got wrong is checked
/// before the database is touched; once the run row exists, any failure marks it failed with
/// its error, and success writes every tensor and metric in one transaction.
public enum Recorder {
    public static let pareVersion = "0.1.0"

    /// A run checked and loaded, ready to record: nothing has touched the database yet.
    public struct Prepared: Sendable {
        public var method: any CompressionMethod
        public var base: ModelIO.Loaded
        public var data: RunData
        public var request: RecordRequest
    }

    /// Everything the user could have got wrong, checked without the database: the method and
    /// its settings, the model file, the data files and their widths.
    public static func prepare(_ request: RecordRequest) throws -> Prepared {
        if PipelineSpec.isPipeline(request.method) {
            throw PareError("'\(request.method)' is a pipeline; record it with Pipeline.prepare (pare record does).")
        }
        let method = try Methods.make(request.method, settings: request.settings)
        var (base, data) = try loadInputs(request)
        try checkLayerNames(request.settings, in: base.model, method: request.method)
        data.models = try loadModels(for: [method])
        try validate([method], base: base, data: data, request: request)
        return Prepared(method: method, base: base, data: data, request: request)
    }

    /// The model files the methods' settings name (`modelPaths`: teachers, students), each
    /// loaded once; a missing or bad file is an error here, before anything is recorded.
    static func loadModels(for methods: [any CompressionMethod]) throws -> [String: Model] {
        var models: [String: Model] = [:]
        for path in methods.flatMap(\.modelPaths) where models[path] == nil {
            models[path] = try ModelIO.load(contentsOf: URL(fileURLWithPath: path)).model
        }
        return models
    }

    /// Each method's own checks against the base model and the data (`CompressionMethod.validate`).
    static func validate(_ methods: [any CompressionMethod], base: ModelIO.Loaded, data: RunData,
                         request: RecordRequest) throws {
        var context = CompressionContext(calibration: data.calibration, calibrationText: data.calibrationText,
                                         training: data.train, trainingText: data.trainText, seed: request.seed, models: data.models)
        context.addPrompts(data, base: base)
        if base.model.isTransformer {
            for method in methods {
                do { try method.checkTransformerSupport() } catch let error as ConfigError { throw PareError(error.description) }
            }
        }
        for method in methods { try method.validate(base.model, context: context) }
    }

    /// The base model and datasets of a request, checked against each other (and the names
    /// the run will be recorded under).
    /// `loaded`: the base model already loaded from `request.modelPath` (a `pare log --from`
    /// file evaluates many lines against one base).
    static func loadInputs(_ request: RecordRequest, loaded: ModelIO.Loaded? = nil) throws -> (ModelIO.Loaded, RunData) {
        if request.experiment.allSatisfy(\.isWhitespace) {
            throw PareError("--experiment is empty; name the experiment (the default is \"default\").")
        }
        if let name = request.name, name.allSatisfy(\.isWhitespace) {
            throw PareError("--name is empty; give the run a name or leave --name out.")
        }
        let base = try loaded ?? ModelIO.load(contentsOf: URL(fileURLWithPath: request.modelPath), arch: request.arch)
        if let transformer = base.model.transformer {
            let data = try RunData.load(train: request.trainPath, test: request.testPath, calibration: request.calibrationPath,
                                        for: transformer, tokenizer: base.tokenizer)
            return (base, data)
        }
        try RunData.refuseTransformerSpecs([("--train", request.trainPath), ("--test", request.testPath),
                                            ("--calib", request.calibrationPath)])
        let data = try RunData.load(train: request.trainPath, test: request.testPath,
                                    calibration: request.calibrationPath, seed: request.seed)
        try data.check(against: base.model)
        return (base, data)
    }

    /// `layers=` names that the model does not have, caught before anything is recorded (the
    /// method would only find out while compressing, leaving a failed run behind).
    static func checkLayerNames(_ settings: [String: String], in model: Model, method: String) throws {
        guard let raw = settings["layers"] else { return }
        let names = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        do {
            _ = try LayerSelection(names: names).paths(in: model.layers.map(\.name), defaults: [], method: method)
        } catch let error as ConfigError {
            throw PareError(error.description)
        }
    }

    /// Records a prepared run: the run row first (status running), then compression and
    /// evaluation, then every tensor and metric in one transaction — or the run marked failed.
    public static func record(_ run: Prepared, store: any RunTracker, parentRunID: Int64? = nil,
                              progress: @escaping @Sendable (Double, String) -> Void = { _, _ in },
                              onRunStarted: (Int64) -> Void = { _ in }) throws -> Int64 {
        try recordStage(method: run.method, config: run.method.config, input: run.base.model, base: run.base,
                        data: run.data, request: run.request, name: run.request.name, store: store,
                        parentRunID: parentRunID, progress: progress, onRunStarted: onRunStarted).id
    }

    /// The run row as `record` writes it: `config` plus the seed, the base model and datasets.
    /// Its config hash (`Store.configHash`) is what a sweep compares to resume.
    static func runStart(method: String, config: [String: ConfigValue], base: ModelIO.Loaded, data: RunData,
                         request: RecordRequest, name: String?, parentRunID: Int64?) -> RunStart {
        var config = config
        config["seed"] = .int(Int(request.seed))
        return RunStart(
            experiment: request.experiment, name: name, method: method, config: config,
            baseModel: ModelInfo(hash: base.hash, name: base.name,
                                 archJSON: archJSON(base.model, configJSON: base.files.first { $0.name == TransformerIO.configFile }?.bytes),
                                 params: base.model.parameterCount, sizeBytes: base.sizeBytes, files: base.files),
            train: data.train.map(info) ?? data.trainSentences.map(info) ?? data.trainText.map(calibrationInfo) ?? data.trainPrompts.map(info), test: info(data.test), calib: data.calibration.map(info) ?? data.calibrationText.map(calibrationInfo),
            parentRunID: parentRunID, pareVersion: pareVersion)
    }

    /// Records one run of `method` applied to `input` (the base model, or a pipeline's previous
    /// stage), evaluated against the original base model. Returns its id and compressed model.
    static func recordStage(method: any CompressionMethod, config: [String: ConfigValue], input: Model,
                            base: ModelIO.Loaded, data: RunData, request: RecordRequest, name: String?,
                            store: any RunTracker, parentRunID: Int64?,
                            progress: @escaping @Sendable (Double, String) -> Void,
                            onRunStarted: (Int64) -> Void) throws -> (id: Int64, model: Model) {
        // Prepared first (a black-box teacher is asked now), so a teacher that fails leaves no
        // baseline behind, and a black-box baseline knows whether the prompts carry labels.
        let method = try method.preparedForRecording(input, context: context(data: data, request: request, store: store,
                                                                              base: base, progress: progress))
        var mainProgress = progress
        var companion: (id: Int64, metrics: [String: Double])?
        if let baseline = method.baseline {
            companion = try recordBaseline(baseline, of: name ?? method.name, input: input, base: base, data: data,
                                           request: request, store: store,
                                           progress: { f, label in progress(0.4 * f, "baseline \(label)") },
                                           onRunStarted: onRunStarted)
            mainProgress = { f, label in progress(0.4 + 0.6 * f, label) }
        }
        let start = runStart(method: method.name, config: config, base: base, data: data, request: request,
                             name: name, parentRunID: parentRunID)
        let runID = try store.beginRun(start)
        onRunStarted(runID)
        do {
            var (outcome, model) = try compressAndEvaluate(method: method, input: input, base: base, data: data,
                                                           request: request, store: store, progress: mainProgress)
            if let companion { link(&outcome, to: companion) }
            try store.finishRun(runID, outcome)
            return (runID, model)
        } catch {
            try? store.failRun(runID, error: String(describing: error))
            throw error
        }
    }

    /// Records a method's companion run (`CompressionMethod.baseline`) — or reuses the newest
    /// finished run with its identity (config hash, experiment, base model, datasets), so one
    /// baseline serves every run that shares it (a sweep over temperatures trains the student
    /// alone once). Returns its id and accuracy.
    static func recordBaseline(_ baseline: any CompressionMethod, of name: String, input: Model, base: ModelIO.Loaded,
                               data: RunData, request: RecordRequest, store: any RunTracker,
                               progress: @escaping @Sendable (Double, String) -> Void,
                               onRunStarted: (Int64) -> Void) throws -> (id: Int64, metrics: [String: Double]) {
        let config = baseline.config
        let baselineName = "\(name) [baseline]"
        let start = runStart(method: baseline.name, config: config, base: base, data: data, request: request,
                             name: baselineName, parentRunID: nil)
        let id = try store.finishedRun(like: start) ?? recordStage(
            method: baseline, config: config, input: input, base: base, data: data, request: request,
            name: baselineName, store: store, parentRunID: nil, progress: progress, onRunStarted: onRunStarted).id
        return (id, try store.finalMetrics(run: id))
    }

    /// Links a run to its companion: param `baseline_run`, metric `accuracy_gain_over_baseline`
    /// (this run's `accuracy` — or, for prompts, `task_accuracy` — minus the baseline's) and a note.
    static func link(_ outcome: inout RunOutcome, to companion: (id: Int64, metrics: [String: Double])) {
        outcome.params["baseline_run"] = .int(Int(companion.id))
        func mine(_ key: String) -> Double? { outcome.metrics.first { $0.key == key && $0.step == 0 }?.value }
        guard let key = ["accuracy", "task_accuracy"].first(where: { mine($0) != nil && companion.metrics[$0] != nil }),
              let theirs = companion.metrics[key], let mine = mine(key) else {
            outcome.notes.append("baseline: run \(companion.id)")
            return
        }
        outcome.metrics.append((key: "accuracy_gain_over_baseline", value: mine - theirs, step: 0))
        outcome.notes.append(String(format: "baseline: run %lld (\(key) %.4f); this run %.4f, gain %+.4f",
                                    companion.id, theirs, mine, mine - theirs))
    }

    /// The context a method compresses with: the run's data, seed and extra models, and a
    /// black-box teacher answer cache per command kept in `store`.
    static func context(data: RunData, request: RecordRequest, store: (any RunTracker)?, base: ModelIO.Loaded? = nil,
                        progress: @escaping @Sendable (Double, String) -> Void) -> CompressionContext {
        var cache: (@Sendable (String) -> (any TeacherAnswerCache)?)?
        if let store {
            cache = { command in StoreTeacherCache(store: store, teacher: command) }
        }
        var context = CompressionContext(calibration: data.calibration, calibrationText: data.calibrationText,
                                         training: data.train, trainingText: data.trainText, seed: request.seed,
                                         models: data.models, teacherCache: cache, progress: progress)
        if let base { context.addPrompts(data, base: base) }
        return context
    }

    static func compressAndEvaluate(method: any CompressionMethod, input: Model, base: ModelIO.Loaded, data: RunData,
                                    request: RecordRequest, store: (any RunTracker)? = nil,
                                    progress: @escaping @Sendable (Double, String) -> Void) throws -> (RunOutcome, Model) {
        let context = context(data: data, request: request, store: store, base: base, progress: progress)
        let clock = ContinuousClock()
        var result: CompressionResult!
        let elapsed = try clock.measure { result = try method.compress(input, context: context) }
        let compressed = result.model
        let tensors = storedTensors(compressed)
        let size = tensors.reduce(0) { $0 + $1.tensor.payload.count }
        var metrics: [String: Double]
        switch data.test {
        case .table(let test):
            metrics = try Evaluator.metrics(model: compressed, base: base.model, test: test,
                                            sizeBytes: size, baseSizeBytes: base.sizeBytes,
                                            options: .init(measureTiming: request.measureSpeed))
        case .text, .sentences, .prompts:
            metrics = try TransformerEvaluation.metrics(model: compressed, base: base, data: data, sizeBytes: size,
                                                        store: store, measureTiming: request.measureSpeed, progress: progress)
        }
        metrics["compress_seconds"] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        for (key, value) in result.extraMetrics { metrics[key] = value }
        var points = metrics.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value, step: 0) }
        points += result.curves.map { (key: $0.key, value: $0.value, step: $0.step) }
        return (RunOutcome(metrics: points, tensors: tensors, notes: result.notes), compressed)
    }

    /// Every tensor of the model as stored: weights in their encoding, biases as F32.
    public static func storedTensors(_ model: Model) -> [(name: String, tensor: EncodedTensor)] {
        if let transformer = model.transformer { return TransformerIO.storedTensors(transformer) }
        var out: [(name: String, tensor: EncodedTensor)] = []
        for layer in model.layers {
            out.append(("\(layer.name).weight", layer.weight.encoded()))
            if let bias = layer.bias {
                out.append(("\(layer.name).bias", EncodedTensor(encoding: DenseWeight.encodingName, shape: [bias.count],
                                                                 payload: Bytes.of(bias))))
            }
        }
        return out
    }

    static func info(_ data: Dataset) -> DatasetInfo {
        DatasetInfo(hash: data.contentHash, name: data.name, rows: data.rowCount,
                    features: data.featureCount, classes: data.classCount)
    }

    /// Text windows are recorded as rows = windows, features = the context length; sentences as
    /// rows = sentences, features 0, classes = label classes (0 without labels).
    static func info(_ data: TestData) -> DatasetInfo {
        switch data {
        case .table(let d): info(d)
        case .text(let t): DatasetInfo(hash: t.contentHash, name: t.name, rows: t.windows.count, features: t.spec.context, classes: 0)
        case .sentences(let s): info(s)
        case .prompts(let p): info(p)
        }
    }

    /// Prompts are recorded as rows = prompts, features 0, classes = the distinct labels.
    static func info(_ p: PromptSet) -> DatasetInfo {
        DatasetInfo(hash: p.contentHash, name: p.name, rows: p.items.count, features: 0,
                    classes: Set(p.items.compactMap(\.label)).count)
    }

    /// Calibration windows are recorded as rows = samples, features = the context length.
    static func calibrationInfo(_ t: TextWindows) -> DatasetInfo {
        DatasetInfo(hash: t.contentHash, name: t.name, rows: t.windows.count, features: t.spec.context, classes: 0)
    }

    static func info(_ s: SentenceSet) -> DatasetInfo {
        DatasetInfo(hash: s.contentHash, name: s.name, rows: s.texts.count, features: 0, classes: s.classCount ?? 0)
    }

    static func archJSON(_ model: Model, configJSON: [UInt8]? = nil) -> String {
        if let transformer = model.transformer {
            let config = configJSON.flatMap { String(bytes: $0, encoding: .utf8) } ?? "{}"
            return #"{"arch":"transformer","model_type":"\#(transformer.modelType)","config":\#(config)}"#
        }
        let dims = model.dims.map(String.init).joined(separator: ",")
        return #"{"arch":"mlp","dims":[\#(dims)],"act":"\#(model.activation.rawValue)"}"#
    }
}

extension Model {
    /// Weights and biases as the model really is; a transformer's embeddings and norms too
    /// (a tied `lm_head` counted once, as the embedding).
    public var parameterCount: Int {
        let tiedHead = transformer?.sharesEmbeddingWithLMHead == true
        let linear = layers.reduce(0) { total, layer in
            tiedHead && layer.name == "lm_head" ? total : total + layer.weight.parameterCount + (layer.bias?.count ?? 0)
        }
        return linear + (transformer?.nonLinearParameterCount ?? 0)
    }
}
