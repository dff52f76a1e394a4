import PareTensor

/// A base model, identified by the sha256 of its weights.
public struct ModelInfo: Equatable, Sendable {
    public var hash: String
    public var name: String
    /// The architecture as JSON (e.g. `{"arch":"mlp","dims":[64,256,128,10]}`).
    public var archJSON: String
    public var params: Int
    public var sizeBytes: Int
    /// Files the model needs besides its weights (a transformer's config.json and
    /// tokenizer.json), recorded once with the model.
    public var files: [(name: String, bytes: [UInt8])]

    public init(hash: String, name: String, archJSON: String, params: Int, sizeBytes: Int,
                files: [(name: String, bytes: [UInt8])] = []) {
        self.hash = hash; self.name = name; self.archJSON = archJSON
        self.params = params; self.sizeBytes = sizeBytes; self.files = files
    }

    public static func == (a: ModelInfo, b: ModelInfo) -> Bool {
        a.hash == b.hash && a.name == b.name && a.archJSON == b.archJSON && a.params == b.params
            && a.sizeBytes == b.sizeBytes && a.files.map(\.name) == b.files.map(\.name)
            && a.files.map(\.bytes) == b.files.map(\.bytes)
    }
}

/// A dataset, identified by the sha256 of its content.
public struct DatasetInfo: Equatable, Sendable {
    public var hash: String
    public var name: String
    public var rows: Int
    public var features: Int
    public var classes: Int

    public init(hash: String, name: String, rows: Int, features: Int, classes: Int) {
        self.hash = hash; self.name = name; self.rows = rows
        self.features = features; self.classes = classes
    }
}

/// Everything known when a run starts.
public struct RunStart: Sendable {
    public var experiment: String
    public var name: String?
    public var method: String
    /// The method's settings, flat (`prune.amount`, `bits`…); stored as typed params.
    public var config: [String: ConfigValue]
    public var baseModel: ModelInfo?
    public var train: DatasetInfo?
    public var test: DatasetInfo?
    public var calib: DatasetInfo?
    /// The previous stage of a pipeline.
    public var parentRunID: Int64?
    public var pareVersion: String
    /// Who computed the run (migrations/0006): `.pare`, or another tool's run recorded by
    /// `pare log` or imported from another tracker.
    public var source: RunSource
    /// The run's global identity; nil lets the store draw a random one. An import passes the
    /// source's id (e.g. "mlflow:RUN_UUID") so importing it again finds it.
    public var uid: String?
    /// When the run started and ended, for a run computed elsewhere (UTC ISO 8601,
    /// "2025-01-31T12:34:56.789Z"); nil means now, the time Pare records it.
    public var startedAt: String?
    public var endedAt: String?

    public init(experiment: String = "default", name: String? = nil, method: String,
                config: [String: ConfigValue] = [:], baseModel: ModelInfo? = nil,
                train: DatasetInfo? = nil, test: DatasetInfo? = nil, calib: DatasetInfo? = nil,
                parentRunID: Int64? = nil, pareVersion: String, source: RunSource = .pare,
                uid: String? = nil, startedAt: String? = nil, endedAt: String? = nil) {
        self.experiment = experiment; self.name = name; self.method = method; self.config = config
        self.baseModel = baseModel; self.train = train; self.test = test; self.calib = calib
        self.parentRunID = parentRunID; self.pareVersion = pareVersion
        self.source = source; self.uid = uid; self.startedAt = startedAt; self.endedAt = endedAt
    }
}

/// Who computed a run (the `runs.source` column).
public enum RunSource: String, Sendable, CaseIterable {
    /// Pare compressed and measured it.
    case pare
    /// Another tool computed it and `pare log` recorded it.
    case log
    /// Imported from an MLflow tracking store.
    case mlflow
}

/// Everything a finished run produced.
public struct RunOutcome: Sendable {
    /// Step 0 is a final value; steps > 0 are curve points.
    public var metrics: [(key: String, value: Double, step: Int)]
    /// The compressed weights in their stored encodings, in the order they should come back.
    public var tensors: [(name: String, tensor: EncodedTensor)]
    public var notes: [String]
    /// Params known only when the run ends (e.g. `baseline_run`, the id of its companion run),
    /// written beside the config's params in the same transaction. Not part of the config or
    /// its hash, so they do not change the run's identity.
    public var params: [String: ConfigValue]
    /// The keys in `metrics` whose values the user reported rather than Pare measuring them
    /// (`metrics.reported` = 1): a logged run's `--metric`s, an import's metrics.
    public var reported: Set<String>
    /// What the user reported for a run that Pare measured too (`pare log --evaluate`), kept
    /// exactly in `reported_metrics` beside Pare's values.
    public var reportedAlongside: [(key: String, value: Double, step: Int)]
    /// Labels on the run (`tags`), e.g. `team=edge`.
    public var tags: [String: String]
    /// Set when the run failed elsewhere (an imported run whose source says it failed): the
    /// run is recorded as 'failed' with this error.
    public var error: String?

    public init(metrics: [(key: String, value: Double, step: Int)] = [],
                tensors: [(name: String, tensor: EncodedTensor)] = [], notes: [String] = [],
                params: [String: ConfigValue] = [:], reported: Set<String> = [],
                reportedAlongside: [(key: String, value: Double, step: Int)] = [],
                tags: [String: String] = [:], error: String? = nil) {
        self.metrics = metrics; self.tensors = tensors; self.notes = notes; self.params = params
        self.reported = reported; self.reportedAlongside = reportedAlongside; self.tags = tags
        self.error = error
    }

    /// Final (step 0) metrics from a dictionary, in key order.
    public init(finalMetrics: [String: Double], tensors: [(name: String, tensor: EncodedTensor)] = [],
                notes: [String] = []) {
        self.init(metrics: finalMetrics.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value, step: 0) },
                  tensors: tensors, notes: notes)
    }
}
