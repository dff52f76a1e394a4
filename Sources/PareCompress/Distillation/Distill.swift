import Foundation
import PareNN
import PareTensor

/// `distill`: knowledge distillation (Hinton et al. 2015). A student MLP is trained on `--train`
/// with Adam to minimise
///
///     L = α·T²·KL(q ‖ softmax(s/T)) + (1 − α)·CE(y, s)  [+ β·MSE(h_s·Pᵀ, h_t)]
///
/// where q is the teachers' soft target at temperature T (`DistillationLoss`, batchmean KL).
///
/// Settings (defaults in brackets):
/// - `student=mlp:IN,HIDDEN…,OUT[:ACTIVATION]` (activation: the base model's) or
///   `student_model=FILE.safetensors` (a student to start from) — exactly one. Its input and
///   output widths must be the base model's.
/// - Teachers. With neither `teachers` nor `teacher_cmd`, the teacher is the base model
///   (`--model`, white-box). Otherwise the teachers are exactly the ones listed:
///   `teachers=a.safetensors,b.safetensors` (white-box files; the word `base` stands for the
///   base model) and `teacher_cmd="cmd args; cmd2 args"` (black-box commands speaking the
///   `BlackBoxTeacher` JSON-lines protocol, several separated by ';'). Two or more teachers
///   are an ensemble: their softened distributions are averaged, `ensemble=arithmetic|geometric`
///   [arithmetic]. Black-box answers are cached by input hash per command
///   (`CompressionContext.teacherCache`); `teacher_timeout` seconds [30].
/// - `temperature` > 0 [4], `alpha` in [0, 1] [0.9], `epochs` ≥ 1 [20], `lr` [1e-3],
///   `batch_size` [64]; the seed is the run's (`--seed`): it initialises the student and orders
///   the minibatches.
/// - White-box feature matching (FitNets): `feature_layer=fc2` (a hidden layer of the first
///   white-box teacher, after its activation), `student_feature_layer` [the student's last
///   hidden layer], `beta` [1] — the MSE through a learned projection P [d_t, d_s], trained by
///   its own Adam (same lr) inside the training hooks and discarded afterwards.
/// - `role=distill|baseline` [distill]. `role=baseline` is the same student trained alone with
///   plain cross-entropy (α = 0, no teacher): the companion run (`baseline`) the recorder
///   records beside every distillation, so what distillation bought is on the record.
///
/// α = 0 without feature matching never consults a teacher and trains exactly as the baseline.
public struct Distill: CompressionMethod {
    public static let name = "distill"
    public static let summary = "Knowledge distillation: a student (student=mlp:…; for a decoder LM student=layers:K, student=llama:… or student_model=) trained on --train from the base model's, teacher files' or teacher commands' soft targets (temperature, alpha; kl=forward|reverse and feature_layers for LMs, feature_layer for FitNets matching); the student trained alone is recorded beside it."

    public enum Student: Sendable, Equatable {
        case architecture(dims: [Int], activation: Activation?)
        case file(String)
    }

    public enum Teacher: Sendable, Equatable {
        case base
        case file(String)
        case command(String)
        var isWhiteBox: Bool { if case .command = self { false } else { true } }
    }

    public enum Role: String, Sendable { case distill, baseline }

    public private(set) var role: Role = .distill
    public private(set) var student: Student = .architecture(dims: [], activation: nil)
    public private(set) var teachers: [Teacher] = []
    public private(set) var temperature: Double = 4
    public private(set) var alpha: Double = 0.9
    public private(set) var epochs: Int = 20
    public private(set) var learningRate: Double = 1e-3
    public private(set) var batchSize: Int = 64
    public private(set) var featureLayer: String?
    public private(set) var studentFeatureLayer: String?
    public private(set) var beta: Double = 0
    public private(set) var ensemble: EnsembleMode = .arithmetic
    public private(set) var teacherTimeout: Double = 30
    /// The decoder-LM form (`DecoderDistill`), which every entry point hands over to when set;
    /// the fields above are then unused.
    public private(set) var decoder: DecoderDistill?

    static let teacherKeys = ["teachers", "teacher_cmd", "temperature", "alpha", "feature_layer",
                              "student_feature_layer", "beta", "ensemble", "teacher_timeout"]

    public init(settings: Settings) throws {
        if let lm = try DecoderDistill.ifDecoder(settings) {
            decoder = lm
            role = lm.role
            return
        }
        var s = settings
        role = Role(rawValue: try s.string("role", default: "distill", oneOf: ["distill", "baseline"])!)!
        switch (try s.string("student"), try s.string("student_model")) {
        case (nil, nil):
            throw ConfigError("distill needs a student: student=mlp:IN,HIDDEN…,OUT (e.g. student=mlp:64,32,10, activation optional) or student_model=FILE.safetensors.")
        case (.some, .some):
            throw ConfigError("distill: student and student_model both give the student; pass one.")
        case (.some(let text), nil):
            student = try Self.parseStudent(text)
        case (nil, .some(let path)):
            guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigError("distill: student_model is empty; give a safetensors file.")
            }
            student = .file(path)
        }
        epochs = try s.int("epochs", default: 20, valid: ("a whole number ≥ 1", { $0 >= 1 }))!
        learningRate = try TrainingData.learningRate(&s, default: 1e-3)
        batchSize = try TrainingData.batchSize(&s)

        if role == .baseline {
            if let given = Self.teacherKeys.first(where: { settings.has($0) }) {
                throw ConfigError("distill: role=baseline trains the student alone with plain cross-entropy, so it takes no teacher setting like '\(given)'.")
            }
            teachers = []
            temperature = 1
            alpha = 0
            featureLayer = nil
            studentFeatureLayer = nil
            beta = 0
            ensemble = .arithmetic
            teacherTimeout = 30
            try s.finish()
            return
        }

        temperature = try s.double("temperature", default: 4, valid: ("greater than 0", { $0 > 0 }))!
        alpha = try s.double("alpha", default: 0.9, valid: ("in [0, 1] (the weight of the soft-target term)", { $0 >= 0 && $0 <= 1 }))!
        teacherTimeout = try s.double("teacher_timeout", default: 30, valid: ("a positive number of seconds", { $0 > 0 }))!
        ensemble = EnsembleMode(rawValue: try s.string("ensemble", default: "arithmetic",
                                                       oneOf: EnsembleMode.allCases.map(\.rawValue))!)!
        var listed: [Teacher] = []
        if let files = s.list("teachers") {
            for entry in files {
                guard !entry.isEmpty else {
                    throw ConfigError("distill: teachers has an empty entry; list safetensors files (or 'base') separated by commas.")
                }
                listed.append(entry == "base" ? .base : .file(entry))
            }
        }
        if let commands = try s.string("teacher_cmd") {
            let parts = commands.split(separator: ";", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            for command in parts {
                try BlackBoxTeacher.checkCommand(command, ifEmpty: "teacher_cmd has an empty command; give the command that runs the teacher, e.g. teacher_cmd=\"python3 teacher.py\".")
                listed.append(.command(command))
            }
        }
        let chosen: [Teacher] = listed.isEmpty ? [.base] : listed
        teachers = chosen
        if let twice = chosen.first(where: { t in chosen.filter { $0 == t }.count > 1 }) {
            throw ConfigError("distill: teacher \(Self.describe(twice)) is listed twice.")
        }

        featureLayer = try s.string("feature_layer")
        studentFeatureLayer = try s.string("student_feature_layer")
        if featureLayer == nil, let given = ["student_feature_layer", "beta"].first(where: { settings.has($0) }) {
            throw ConfigError("distill: \(given) only applies to feature matching; set feature_layer (a hidden layer of the teacher, e.g. feature_layer=fc2) too.")
        }
        beta = try s.double("beta", default: featureLayer == nil ? 0 : 1, valid: ("a number ≥ 0", { $0 >= 0 }))!
        if featureLayer != nil, !chosen.contains(where: { $0.isWhiteBox }) {
            throw ConfigError("distill: feature_layer needs a white-box teacher (the base model or a teachers= file); a teacher command only gives outputs.")
        }
        try s.finish()
    }

    /// "mlp:64,32,10" or "mlp:64,32,10:relu".
    static func parseStudent(_ text: String) throws -> Student {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let usage = "student=\(text) is not of the form mlp:IN,HIDDEN…,OUT[:ACTIVATION] (e.g. mlp:64,32,10 or mlp:64,32,10:relu)."
        guard (2...3).contains(parts.count), parts[0] == "mlp" else { throw ConfigError("distill: \(usage)") }
        let dims = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count >= 2, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ConfigError("distill: student=\(text) needs at least two positive widths (input and classes), e.g. mlp:64,32,10.")
        }
        var activation: Activation?
        if parts.count == 3 {
            guard let a = Activation(rawValue: parts[2]) else {
                throw ConfigError("distill: student=\(text) has an unknown activation '\(parts[2])' (known: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))).")
            }
            activation = a
        }
        return .architecture(dims: dims.map { $0! }, activation: activation)
    }

    static func describe(_ teacher: Teacher) -> String {
        switch teacher {
        case .base: "base (the --model)"
        case .file(let p): p
        case .command(let c): "'\(c)'"
        }
    }

    var studentText: String {
        switch student {
        case .architecture(let dims, let activation):
            "mlp:" + dims.map(String.init).joined(separator: ",") + (activation.map { ":\($0.rawValue)" } ?? "")
        case .file(let path): path
        }
    }

    var usesTeacher: Bool { role == .distill && (alpha > 0 || featureLayer != nil) }

    public var config: [String: ConfigValue] {
        if let decoder { return decoder.config }
        var c: [String: ConfigValue] = [
            "role": .string(role.rawValue), "alpha": .double(alpha),
            "epochs": .int(epochs), "lr": .double(learningRate), "batch_size": .int(batchSize),
        ]
        switch student {
        case .architecture: c["student"] = .string(studentText)
        case .file(let path): c["student_model"] = .string(path)
        }
        guard role == .distill else { return c }
        c["temperature"] = .double(temperature)
        let files = teachers.compactMap { t -> String? in
            switch t {
            case .base: "base"
            case .file(let p): p
            case .command: nil
            }
        }
        let commands = teachers.compactMap { t -> String? in if case .command(let c) = t { c } else { nil } }
        if !files.isEmpty { c["teachers"] = .string(files.joined(separator: ",")) }
        if !commands.isEmpty {
            c["teacher_cmd"] = .string(commands.joined(separator: "; "))
            c["teacher_timeout"] = .double(teacherTimeout)
        }
        if teachers.count > 1 { c["ensemble"] = .string(ensemble.rawValue) }
        if let featureLayer {
            c["feature_layer"] = .string(featureLayer)
            c["student_feature_layer"] = .string(studentFeatureLayer ?? "last_hidden")
            c["beta"] = .double(beta)
        }
        return c
    }

    public var modelPaths: [String] {
        if let decoder { return decoder.modelPaths }
        var paths: [String] = []
        if case .file(let p) = student { paths.append(p) }
        for case .file(let p) in teachers { paths.append(p) }
        return paths
    }

    public var baseline: (any CompressionMethod)? {
        if let decoder {
            guard let alone = decoder.baseline else { return nil }
            var method = self
            method.decoder = alone
            method.role = .baseline
            return method
        }
        guard role == .distill else { return nil }
        var alone = self
        alone.role = .baseline
        alone.teachers = []
        alone.temperature = 1
        alone.alpha = 0
        alone.featureLayer = nil
        alone.studentFeatureLayer = nil
        alone.beta = 0
        alone.ensemble = .arithmetic
        alone.teacherTimeout = 30
        return alone
    }

    /// A black-box LM distillation asks its teacher now, before the run is recorded.
    public func preparedForRecording(_ model: Model, context: CompressionContext) throws -> any CompressionMethod {
        guard let decoder, decoder.mode != .logits else { return self }
        var method = self
        method.decoder = try decoder.gatheringTeacher(model, context: context)
        return method
    }

    // MARK: - Checks

    /// A decoder LM distils with an LM student (`DecoderDistill`); an MLP student cannot.
    public func checkTransformerSupport() throws {
        guard decoder != nil else {
            throw ConfigError("distill on a transformer needs an LM student: student=layers:K, student=llama:layers=N,hidden=H,heads=A or student_model=DIR|FILE.gguf, trained on --train text:FILE.")
        }
    }

    public func validate(_ model: Model, context: CompressionContext) throws {
        if let decoder { return try decoder.validate(model, context: context) }
        _ = try TrainingData.require(context, for: Self.name, purpose: "training the student", model: model)
        let net = try makeStudent(model, context: context)
        let base = "the teacher (base model \(model.archString))"
        guard net.inputWidth == model.inputWidth else {
            throw ConfigError("distill: the student \(studentText) takes \(net.inputWidth) inputs but \(base) takes \(model.inputWidth); they must match.")
        }
        guard net.outputWidth == model.classCount else {
            throw ConfigError("distill: the student \(studentText) has \(net.outputWidth) outputs but \(base) has \(model.classCount) classes; they must match.")
        }
        guard role == .distill else { return }
        for case .file(let path) in teachers {
            let teacher = try loaded(path, context)
            guard teacher.inputWidth == model.inputWidth, teacher.classCount == model.classCount else {
                throw ConfigError("distill: teacher \(path) (\(teacher.archString)) takes \(teacher.inputWidth) inputs to \(teacher.classCount) classes but the base model \(model.archString) takes \(model.inputWidth) to \(model.classCount); they must match.")
            }
        }
        if featureLayer != nil { _ = try featureIndices(teacher: featureTeacher(model, context), student: net) }
    }

    func loaded(_ path: String, _ context: CompressionContext) throws -> Model {
        guard let model = context.models[path] else {
            throw ConfigError("distill: the model file \(path) was not loaded (the caller passes the files of `modelPaths` in the context).")
        }
        return model
    }

    func makeStudent(_ model: Model, context: CompressionContext) throws -> TrainableMLP {
        switch student {
        case .architecture(let dims, let activation):
            return TrainableMLP(dims: dims, activation: activation ?? model.activation, seed: context.seed)
        case .file(let path):
            return TrainableMLP(try loaded(path, context))
        }
    }

    /// The white-box teacher whose hidden layer is matched: the first listed.
    func featureTeacher(_ model: Model, _ context: CompressionContext) throws -> Model {
        switch teachers.first(where: \.isWhiteBox) {
        case .file(let path): try loaded(path, context)
        default: model
        }
    }

    /// (teacher layer index, student layer index) of the matched hidden layers.
    func featureIndices(teacher: Model, student net: TrainableMLP) throws -> (Int, Int) {
        guard let featureLayer else { throw ConfigError("distill: no feature_layer") }
        let teacherNames = teacher.layers.map(\.name)
        let teacherHidden = teacherNames.dropLast().joined(separator: ", ")
        guard let t = teacherNames.firstIndex(of: featureLayer) else {
            throw ConfigError("distill: the teacher has no layer '\(featureLayer)' for feature_layer (its hidden layers: \(teacherHidden)).")
        }
        guard t < teacherNames.count - 1 else {
            throw ConfigError("distill: feature_layer=\(featureLayer) is the teacher's output layer; choose a hidden layer (\(teacherHidden)).")
        }
        let studentHidden = net.names.dropLast()
        guard !studentHidden.isEmpty else {
            throw ConfigError("distill: the student \(studentText) has no hidden layer to match the teacher's \(featureLayer) with.")
        }
        let wanted = studentFeatureLayer ?? studentHidden.last!
        guard let s = net.names.firstIndex(of: wanted) else {
            throw ConfigError("distill: the student has no layer '\(wanted)' for student_feature_layer (its hidden layers: \(studentHidden.joined(separator: ", "))).")
        }
        guard s < net.layerCount - 1 else {
            throw ConfigError("distill: student_feature_layer=\(wanted) is the student's output layer; choose a hidden layer (\(studentHidden.joined(separator: ", "))).")
        }
        return (t, s)
    }

    // MARK: - Training

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if let decoder { return try decoder.compress(model, context: context) }
        try validate(model, context: context)
        let training = context.training!
        var net = try makeStudent(model, context: context)
        let config = TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: context.seed)
        var curves: [(key: String, step: Int, value: Double)] = []
        var notes: [String] = []
        var extra: [String: Double] = [:]

        guard usesTeacher else {
            // The student alone: plain cross-entropy (the baseline, or alpha=0 without features).
            let history = Trainer.train(&net, on: training, config: config, progress: context.progress)
            for stats in history {
                curves.append(("train_loss", stats.epoch, stats.trainLoss))
                curves.append(("train_accuracy", stats.epoch, stats.trainAccuracy))
            }
            if role == .baseline { notes.append("the student \(studentText) trained alone (plain cross-entropy), the reference for distillation") }
            return CompressionResult(model: net.model(), notes: notes, extraMetrics: extra, curves: curves)
        }

        var hooks = TrainingHooks()
        if alpha > 0 {
            let (q, teacherNotes, teacherMetrics) = try softTargets(model, training: training, context: context)
            notes += teacherNotes
            extra.merge(teacherMetrics) { $1 }
            let loss = try DistillationLoss(temperature: temperature, alpha: alpha)
            let labels = training.labels
            hooks.loss = { logits, batch in
                let r = loss.lossAndGradient(student: logits, softTargets: gatherRows(q, batch), labels: batch.map { labels[$0] })
                return (loss: r.loss, dLogits: r.gradient)
            }
        }
        let feature = FeatureState()
        if featureLayer != nil {
            let teacher = try featureTeacher(model, context)
            let (t, s) = try featureIndices(teacher: teacher, student: net)
            let hidden = teacherHidden(teacher, layer: t, training: training)
            feature.projection = FeatureLoss.initialProjection(studentWidth: net.weights[s].rows, teacherWidth: hidden.columns, seed: context.seed)
            feature.state = AdamState(count: feature.projection.count)
            let beta = self.beta, adam = Adam(learningRate: learningRate)
            hooks.hiddenLoss = { layer, h, batch in
                guard layer == s else { return nil }
                let r = FeatureLoss.lossAndGradients(studentHidden: h, projection: feature.projection, teacherHidden: gatherRows(hidden, batch))
                feature.gradient = r.projectionGradient.data.map { $0 * Float(beta) }
                feature.lossSum += beta * r.loss * Double(batch.count)
                return (beta * r.loss, Tensor(shape: r.studentGradient.shape, data: r.studentGradient.data.map { $0 * Float(beta) }))
            }
            hooks.onStep = { _ in
                adam.step(&feature.projection.data, gradient: feature.gradient, state: &feature.state)
            }
            notes.append("feature matching: teacher \(teacher.layers[t].name) (\(hidden.columns)) ← student \(net.names[s]) (\(net.weights[s].rows)) through a learned \(hidden.columns)×\(net.weights[s].rows) projection, beta \(beta)")
        }
        let rows = Double(training.rowCount)
        hooks.onEpoch = { epoch, _ in
            if featureLayer != nil {
                feature.curve.append((epoch, feature.lossSum / rows))
                feature.lossSum = 0
            }
        }
        let history = Trainer.train(&net, on: training, config: config, hooks: hooks, progress: context.progress)
        for stats in history {
            curves.append(("distill_loss", stats.epoch, stats.trainLoss))
            curves.append(("train_accuracy", stats.epoch, stats.trainAccuracy))
        }
        for (epoch, value) in feature.curve { curves.append(("feature_loss", epoch, value)) }
        return CompressionResult(model: net.model(), notes: notes, extraMetrics: extra, curves: curves)
    }

    /// The soft target q [rows, classes] at temperature T for every training row: one teacher's
    /// softened distribution, or the ensemble's combination. Also notes and metrics
    /// (`teacher_train_accuracy`, `teacher_queries` for black-box teachers).
    func softTargets(_ model: Model, training: Dataset, context: CompressionContext) throws
        -> (Tensor, [String], [String: Double]) {
        var distributions: [Tensor] = []
        var notes: [String] = []
        var metrics: [String: Double] = [:]
        for (i, teacher) in teachers.enumerated() {
            context.progress(0, "teacher \(i + 1)/\(teachers.count)")
            switch teacher {
            case .base:
                distributions.append(whiteBoxTargets(model, training: training))
            case .file(let path):
                distributions.append(whiteBoxTargets(try loaded(path, context), training: training))
            case .command(let command):
                let bb = try BlackBoxTeacher(command: command, classes: model.classCount, timeout: teacherTimeout,
                                             cache: context.teacherCache?(command))
                let (answers, queried) = try bb.answersCounting(for: training.features)
                metrics["teacher_queries", default: 0] += Double(queried)
                switch BlackBoxTeacher.consolidate(answers, classes: model.classCount) {
                case .logits(let t): distributions.append(DistillationLoss.softmax(t, temperature: temperature))
                case .probabilities(let p): distributions.append(DistillationLoss.soften(p, temperature: temperature))
                case .labels(let y):
                    distributions.append(DistillationLoss.oneHot(y, classes: model.classCount))
                    notes.append("teacher '\(command)' answered labels only: distilled from hard pseudo-labels")
                }
                notes.append("teacher '\(command)': \(queried) of \(training.rowCount) inputs asked, \(training.rowCount - queried) from the cache")
            }
        }
        let q = distributions.count == 1 ? distributions[0] : Ensemble.softTargets(distributions, mode: ensemble)
        if distributions.count > 1 { notes.append("ensemble of \(distributions.count) teachers, \(ensemble.rawValue) mean of their softened outputs") }
        let c = q.columns
        var agree = 0
        for row in 0..<q.rows {
            var best = 0
            for j in 1..<c where q.data[row * c + j] > q.data[row * c + best] { best = j }
            if best == training.labels[row] { agree += 1 }
        }
        metrics["teacher_train_accuracy"] = Double(agree) / Double(max(q.rows, 1))
        return (q, notes, metrics)
    }

    /// softmax(teacher(x)/T) for every row, in chunks.
    func whiteBoxTargets(_ teacher: Model, training: Dataset) -> Tensor {
        var data: [Float] = []
        data.reserveCapacity(training.rowCount * teacher.classCount)
        for start in stride(from: 0, to: training.rowCount, by: 4096) {
            let logits = teacher.forward(training.rows(start..<min(start + 4096, training.rowCount)))
            data += DistillationLoss.softmax(logits, temperature: temperature).data
        }
        return Tensor(shape: [training.rowCount, teacher.classCount], data: data)
    }

    /// The teacher's activated output of layer `layer` for every row.
    func teacherHidden(_ teacher: Model, layer: Int, training: Dataset) -> Tensor {
        var data: [Float] = []
        var width = 0
        for start in stride(from: 0, to: training.rowCount, by: 4096) {
            let h = teacher.forwardLayers(training.rows(start..<min(start + 4096, training.rowCount)))[layer]
            width = h.columns
            data += h.data
        }
        return Tensor(shape: [training.rowCount, width], data: data)
    }
}

/// The learned projection of feature matching and its optimizer state, owned by the hooks.
private final class FeatureState {
    var projection = Tensor(zeros: [0])
    var state = AdamState(count: 0)
    var gradient: [Float] = []
    var lossSum = 0.0
    var curve: [(Int, Double)] = []
}

/// Rows `indices` of a [rows, columns] tensor.
func gatherRows(_ t: Tensor, _ indices: [Int]) -> Tensor {
    let c = t.columns
    var data = [Float](repeating: 0, count: indices.count * c)
    t.data.withUnsafeBufferPointer { src in
        data.withUnsafeMutableBufferPointer { dst in
            for (i, row) in indices.enumerated() {
                for j in 0..<c { dst[i * c + j] = src[row * c + j] }
            }
        }
    }
    return Tensor(shape: [indices.count, c], data: data)
}
