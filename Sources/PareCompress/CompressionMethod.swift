import PareNN
import PareTensor

/// One compression method: a small value type holding its validated config, plus one entry
/// point, as each of PyTorch's pruning methods only computes a mask. Methods know nothing of
/// SQLite or the command line.
public protocol CompressionMethod: Sendable {
    /// The name users type after `--method`, e.g. "prune-magnitude".
    static var name: String { get }
    /// One line for `pare methods` and `--help`.
    static var summary: String { get }
    /// Reads and validates `--set key=value` settings; throws `ConfigError` (one clear
    /// sentence) on an unknown key or an impossible value, before anything runs.
    init(settings: Settings) throws
    /// The full config as recorded: every option with its effective value, defaults included.
    var config: [String: ConfigValue] { get }
    /// Compresses `model`; never mutates the caller's copy.
    func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult

    /// Model files the settings name besides the base model (a teacher, a student to start
    /// from). The caller loads them before anything is recorded — a bad file is then an error
    /// up front — and passes them in `CompressionContext.models`, keyed by these paths.
    /// Default: none.
    var modelPaths: [String] { get }

    /// Checks the settings against the base model and the context (layer names, widths, data,
    /// commands) before anything is recorded; throws `ConfigError`. Default: nothing to check.
    func validate(_ model: Model, context: CompressionContext) throws

    /// Throws a `ConfigError` (one sentence) when this method, with these settings, cannot yet
    /// compress a transformer; called before anything is recorded. Default: not supported (a
    /// method that needs a calibration pass or training through the model says so).
    func checkTransformerSupport() throws

    /// A companion run the caller records beside this one, as the reference for what this
    /// method bought (distillation: the same student trained alone). The caller records it first
    /// (or reuses a finished run with its identity), then links this run to it: param
    /// `baseline_run` and metric `accuracy_gain_over_baseline`. Default: none.
    var baseline: (any CompressionMethod)? { get }

    /// Work the run needs before it is recorded that takes the run's context (a black-box
    /// teacher's answers, which may show that a response does not fit the context): the method
    /// ready to compress, or an error (one sentence) while nothing is recorded. Default: itself.
    func preparedForRecording(_ model: Model, context: CompressionContext) throws -> any CompressionMethod
}

extension CompressionMethod {
    public var name: String { Self.name }
    public var modelPaths: [String] { [] }
    public func validate(_ model: Model, context: CompressionContext) throws {}
    public func checkTransformerSupport() throws { throw TransformerSupport.unsupported(name) }
    public var baseline: (any CompressionMethod)? { nil }
    public func preparedForRecording(_ model: Model, context: CompressionContext) throws -> any CompressionMethod { self }
}

/// What a method may use besides the model.
public struct CompressionContext: Sendable {
    /// Calibration inputs (`--calib`): activation statistics for Wanda, SparseGPT, GPTQ, static quantization.
    public var calibration: Dataset?
    /// A transformer's calibration text (`--calib text:FILE,samples=N,context=C`): N windows of
    /// C token ids, for the block-by-block methods (`BlockwiseCalibration`).
    public var calibrationText: TextWindows?
    /// Training data (`--train`), for fine-tuning, QAT and distillation.
    public var training: Dataset?
    /// A decoder's training text (`--train text:FILE[,tokens=N][,context=C]`), for `finetune`.
    public var trainingText: TextWindows?
    public var seed: UInt64
    /// Called with (fraction done 0…1, short label) on long work; drawn as a progress bar by the CLI.
    public var progress: @Sendable (Double, String) -> Void
    /// The models named by the method's `modelPaths`, loaded by the caller, keyed by path.
    public var models: [String: Model]
    /// Where a black-box teacher's answers are kept between runs, per teacher command (the
    /// caller keeps them in its database; nil: no cache, every run asks the teacher).
    public var teacherCache: (@Sendable (_ command: String) -> (any TeacherAnswerCache)?)?
    /// A decoder's training and test prompts (`--train prompts:FILE`, `--test prompts:FILE`),
    /// for black-box distillation from a teacher's text.
    public var trainingPrompts: PromptSet?
    public var testPrompts: PromptSet?
    /// The base model's tokenizer (a decoder trained on prompts tokenizes them and the answers).
    public var tokenizer: (any Tokenizer)?
    /// The base model's content hash: the identity of Pare's own generation as a teacher.
    public var baseModelHash: String?

    public init(calibration: Dataset? = nil, calibrationText: TextWindows? = nil, training: Dataset? = nil,
                trainingText: TextWindows? = nil, seed: UInt64 = 0,
                models: [String: Model] = [:],
                teacherCache: (@Sendable (String) -> (any TeacherAnswerCache)?)? = nil,
                progress: @escaping @Sendable (Double, String) -> Void = { _, _ in }) {
        self.calibration = calibration
        self.calibrationText = calibrationText
        self.training = training
        self.trainingText = trainingText
        self.seed = seed
        self.models = models
        self.teacherCache = teacherCache
        self.progress = progress
    }
}

/// A compressed model and what the method has to say about it.
public struct CompressionResult: Sendable {
    public var model: Model
    /// Remarks recorded with the run (e.g. "fc3 left dense: factoring would not reduce parameters").
    public var notes: [String]
    /// Method-specific metrics beyond the common vocabulary (e.g. "sparsity"), step 0.
    public var extraMetrics: [String: Double]
    /// Training curves: (metric key, step ≥ 1, value), e.g. ("train_loss", epoch, 0.31).
    public var curves: [(key: String, step: Int, value: Double)]

    public init(model: Model, notes: [String] = [], extraMetrics: [String: Double] = [:],
                curves: [(key: String, step: Int, value: Double)] = []) {
        self.model = model
        self.notes = notes
        self.extraMetrics = extraMetrics
        self.curves = curves
    }
}
