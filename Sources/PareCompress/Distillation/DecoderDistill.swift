import Foundation
import PareNN
import PareTensor

/// `distill` for decoder LMs, white-box: the teacher is the base model (`--model`, a decoder)
/// and a smaller decoder student is trained on `--train text:FILE` windows with Adam
/// (`DecoderTrainingState`, as `finetune`) to minimise, per window,
///
///     L = α·T²·KL + (1 − α)·CE + β·mean over pairs of MSE(h_s·Pᵀ, h_t)
///
/// (`DecoderDistillationLoss`: token-level KL at temperature T, `kl=forward` Hinton's or
/// `kl=reverse` MiniLLM's, and the cross-entropy on the true next tokens; the hidden-state term
/// matches block outputs teacher→student through a learned projection P [d_t, d_s], FitNets'
/// `FeatureLoss`, trained by its own Adam and discarded afterwards).
///
/// Students:
/// - `student=layers:K` — a depth-reduced copy of the teacher: K of its L blocks, evenly spread
///   with the first and the last kept (block round(i·(L−1)/(K−1)) for i = 0 … K−1; every other
///   block for 30 → 15 but one). Initialising from the teacher's own layers is what DistilBERT
///   (every other layer) and Sheared-LLaMA do; the first block reads the embeddings and the last
///   writes what the LM head reads, the two ShortGPT finds least removable.
/// - `student=llama:layers=N,hidden=H,heads=A[,kv_heads=G][,intermediate=I]` — a fresh small
///   decoder of the teacher's family, vocabulary, head_dim, norms and RoPE, every Linear and the
///   embedding N(0, 0.02²) (Hugging Face's `initializer_range`) from the run's seed, norms 1.
/// - `student_model=DIR|FILE.gguf` — any decoder with the teacher's vocabulary (and family, so
///   the record can rebuild it from the teacher's config.json).
///
/// `role=baseline` is the same student trained alone on the text's next tokens (α = 0): the
/// companion run the recorder records beside the distillation, as for an MLP. In the black-box
/// modes it is the student fine-tuned on the training prompts' own labels, no teacher asked
/// (recorded beside the distillation when every training prompt has a label).
///
/// `mode=` picks what the student learns from: `logits` (the default; the white-box path above,
/// on `--train text:`) or the teacher's text, black-box, on `--train prompts:FILE`
/// (`PromptDistill.swift`): `instruction`, `icl` or `cot` (the default when `teacher_cmd` is
/// given is `instruction`).
public struct DecoderDistill: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case logits, instruction, icl, cot }
    public enum Student: Sendable, Equatable {
        case depth(Int)
        case fresh(FreshStudent)
        case file(String)
    }

    public struct FreshStudent: Sendable, Equatable {
        public var layers: Int, hidden: Int, heads: Int
        public var kvHeads: Int?, intermediate: Int?
    }

    /// Teacher block → student block whose outputs are matched.
    public struct FeaturePair: Sendable, Equatable {
        public var teacher: Int, student: Int
    }

    public private(set) var role: Distill.Role
    public private(set) var student: Student
    public private(set) var studentText: String
    public private(set) var temperature: Double
    public private(set) var alpha: Double
    public private(set) var divergence: DecoderDistillationLoss.Divergence
    public private(set) var featurePairs: [FeaturePair]
    public private(set) var beta: Double
    public private(set) var steps: Int
    public private(set) var learningRate: Double
    public private(set) var batch: Int
    public private(set) var mode: Mode = .logits
    /// Black-box modes: the teacher command (nil: Pare's greedy generation with the base model).
    public private(set) var teacherCommand: String?
    public private(set) var teacherTimeout: Double = 30
    /// Black-box modes: the token bound of every generation (the teacher's, and the student's
    /// answers when evaluated).
    public private(set) var maxNewTokens: Int = 32
    /// `mode=icl`: demonstrations per prompt.
    public private(set) var shots: Int = 0
    /// `mode=cot`: the weight of the rationale term.
    public private(set) var rationaleWeight: Double = 0
    /// The teacher's answers, gathered before the run is recorded (`preparedForRecording`).
    var gathered: GatheredTeacher?

    static let defaultMaxNewTokens = 32
    static let defaultShots = 2

    static let teacherKeys = ["temperature", "alpha", "kl", "feature_layers", "beta"]
    /// Keys only the LM form takes, so their presence picks it.
    static let decoderOnlyKeys = ["kl", "feature_layers", "steps", "batch", "mode", "max_new_tokens", "shots", "rationale_weight"]

    /// The LM form of `distill` when the settings ask for it — an LM student (`layers:`,
    /// `llama:`, a model directory or GGUF file) or an LM-only key — else nil (the MLP form).
    static func ifDecoder(_ settings: Settings) throws -> DecoderDistill? {
        var probe = settings
        let student = try probe.string("student"), file = try probe.string("student_model")
        let lmStudent = student.map { $0.hasPrefix("layers:") || $0.hasPrefix("llama:") } ?? false
        let lmFile = file.map(isDecoderFile) ?? false
        guard lmStudent || lmFile || decoderOnlyKeys.contains(where: settings.has) else { return nil }
        return try DecoderDistill(settings: settings)
    }

    /// A Hugging Face model directory, a GGUF file, or a model.safetensors with a config.json beside it.
    static func isDecoderFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return true }
        if path.lowercased().hasSuffix(".gguf") { return true }
        if let handle = FileHandle(forReadingAtPath: path) {
            defer { try? handle.close() }
            if (try? handle.read(upToCount: 4)) == Data("GGUF".utf8) { return true }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path)
    }

    public init(settings: Settings) throws {
        var s = settings
        let name = Distill.name
        role = Distill.Role(rawValue: try s.string("role", default: "distill", oneOf: ["distill", "baseline"])!)!
        switch (try s.string("student"), try s.string("student_model")) {
        case (nil, nil):
            throw ConfigError("\(name) needs a student: student=layers:K (K of the teacher's blocks), student=llama:layers=4,hidden=256,heads=4 (a fresh decoder) or student_model=DIR|FILE.gguf.")
        case (.some, .some):
            throw ConfigError("\(name): student and student_model both give the student; pass one.")
        case (.some(let text), nil):
            student = try Self.parseStudent(text)
            studentText = text
        case (nil, .some(let path)):
            guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigError("\(name): student_model is empty; give a decoder's model directory or GGUF file.")
            }
            student = .file(path)
            studentText = path
        }
        steps = try s.int("steps", default: 100, valid: ("at least 1", { $0 >= 1 }))!
        learningRate = try s.double("lr", default: 1e-4, valid: ("positive (Adam's learning rate)", { $0 > 0 }))!
        batch = try s.int("batch", default: 1, valid: ("at least 1", { $0 >= 1 }))!
        mode = Mode(rawValue: try s.string("mode", default: settings.has("teacher_cmd") ? "instruction" : "logits",
                                           oneOf: Mode.allCases.map(\.rawValue))!)!
        if mode != .logits {
            (temperature, alpha, divergence, featurePairs, beta) = (1, 0, .forward, [], 0)
            try readBlackBox(&s, settings)
            try s.finish()
            return
        }
        if let given = ["teacher_cmd", "teacher_timeout", "shots", "rationale_weight"].first(where: settings.has) {
            throw ConfigError("\(name): '\(given)' is for black-box distillation from a teacher's text; set mode=instruction, icl or cot (mode=logits distils the base model's logits).")
        }
        // Bounds the answers generated on --test prompts: (the student's, and the base model's
        // that it is compared with).
        maxNewTokens = try s.int("max_new_tokens", default: Self.defaultMaxNewTokens, valid: ("at least 1", { $0 >= 1 }))!
        if role == .baseline {
            if let given = Self.teacherKeys.first(where: { settings.has($0) }) {
                throw ConfigError("\(name): role=baseline trains the student alone on the next tokens, so it takes no teacher setting like '\(given)'.")
            }
            (temperature, alpha, divergence, featurePairs, beta) = (1, 0, .forward, [], 0)
            try s.finish()
            return
        }
        temperature = try s.double("temperature", default: 2, valid: ("greater than 0", { $0 > 0 }))!
        alpha = try s.double("alpha", default: 0.9, valid: ("in [0, 1] (the weight of the KL term)", { $0 >= 0 && $0 <= 1 }))!
        divergence = .init(rawValue: try s.string("kl", default: "forward", oneOf: ["forward", "reverse"])!)!
        featurePairs = try s.list("feature_layers").map(Self.parsePairs) ?? []
        if featurePairs.isEmpty, settings.has("beta") {
            throw ConfigError("\(name): beta weighs hidden-state matching; set feature_layers (teacher:student block pairs, e.g. feature_layers=29:14) too.")
        }
        beta = try s.double("beta", default: featurePairs.isEmpty ? 0 : 1, valid: ("a number ≥ 0", { $0 >= 0 }))!
        try s.finish()
    }

    /// The settings of the black-box modes; the white-box ones are refused.
    mutating func readBlackBox(_ s: inout Settings, _ settings: Settings) throws {
        let name = Distill.name
        if role == .baseline, let given = ["teacher_cmd", "teacher_timeout"].first(where: settings.has) {
            throw ConfigError("\(name): role=baseline trains the student on the training prompts' own labels, with no teacher, so it takes no '\(given)'.")
        }
        if let given = Self.teacherKeys.first(where: settings.has) {
            throw ConfigError("\(name): '\(given)' applies to mode=logits (white-box), not to mode=\(mode.rawValue), which learns from the teacher's text.")
        }
        if let command = try s.string("teacher_cmd") {
            try BlackBoxTeacher.checkCommand(command, ifEmpty: "teacher_cmd is empty; give the command that runs the teacher, e.g. teacher_cmd=\"python3 teacher.py\" (or leave it out to generate with --model).")
            teacherCommand = command
        }
        teacherTimeout = try s.double("teacher_timeout", default: 30, valid: ("a positive number of seconds", { $0 > 0 }))!
        maxNewTokens = try s.int("max_new_tokens", default: Self.defaultMaxNewTokens, valid: ("at least 1", { $0 >= 1 }))!
        if mode == .icl {
            shots = try s.int("shots", default: Self.defaultShots, valid: ("at least 1", { $0 >= 1 }))!
        } else if settings.has("shots") {
            throw ConfigError("\(name): shots (demonstrations per prompt) applies to mode=icl.")
        }
        if mode == .cot {
            rationaleWeight = try s.double("rationale_weight", default: 1, valid: ("a number ≥ 0", { $0 >= 0 }))!
        } else if settings.has("rationale_weight") {
            throw ConfigError("\(name): rationale_weight applies to mode=cot.")
        }
    }

    /// "layers:15", "llama:layers=4,hidden=256,heads=4,kv_heads=2,intermediate=512".
    static func parseStudent(_ text: String) throws -> Student {
        let name = Distill.name
        if text.hasPrefix("layers:") {
            guard let k = Int(text.dropFirst(7).trimmingCharacters(in: .whitespaces)), k >= 1 else {
                throw ConfigError("\(name): student=\(text) needs a positive block count, e.g. student=layers:15.")
            }
            return .depth(k)
        }
        guard text.hasPrefix("llama:") else {
            throw ConfigError("\(name): student=\(text) is not layers:K or llama:layers=N,hidden=H,heads=A[,kv_heads=G][,intermediate=I].")
        }
        var values: [String: Int] = [:]
        for part in text.dropFirst(6).split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let known = ["layers", "hidden", "heads", "kv_heads", "intermediate"]
            guard kv.count == 2, known.contains(kv[0]), let v = Int(kv[1]), v > 0, values[kv[0]] == nil else {
                throw ConfigError("\(name): student=\(text): '\(part)' is not one of \(known.joined(separator: ", ")) = a positive whole number, each given once.")
            }
            values[kv[0]] = v
        }
        guard let layers = values["layers"], let hidden = values["hidden"], let heads = values["heads"] else {
            throw ConfigError("\(name): student=\(text) needs layers, hidden and heads, e.g. llama:layers=4,hidden=256,heads=4.")
        }
        let kv = values["kv_heads"] ?? heads
        guard heads % kv == 0 else {
            throw ConfigError("\(name): student=\(text): heads=\(heads) is not a multiple of kv_heads=\(kv).")
        }
        return .fresh(FreshStudent(layers: layers, hidden: hidden, heads: heads, kvHeads: values["kv_heads"], intermediate: values["intermediate"]))
    }

    /// "29:14,3" → (29, 14), (3, 3); a side may be `model.layers.N`.
    static func parsePairs(_ entries: [String]) throws -> [FeaturePair] {
        func block(_ text: String, _ entry: String) throws -> Int {
            let t = text.trimmingCharacters(in: .whitespaces)
            let digits = t.hasPrefix("model.layers.") ? String(t.dropFirst(13)) : t
            guard let i = Int(digits), i >= 0 else {
                throw ConfigError("\(Distill.name): feature_layers entry '\(entry)' is not TEACHER:STUDENT block indices (or model.layers.N names), e.g. feature_layers=29:14.")
            }
            return i
        }
        return try entries.map { entry in
            let sides = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(sides.count) else {
                throw ConfigError("\(Distill.name): feature_layers entry '\(entry)' is not TEACHER:STUDENT block indices, e.g. feature_layers=29:14.")
            }
            let t = try block(sides[0], entry)
            return FeaturePair(teacher: t, student: sides.count == 2 ? try block(sides[1], entry) : t)
        }
    }

    var usesTeacher: Bool { role == .distill && (alpha > 0 || !featurePairs.isEmpty) }

    public var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = ["role": .string(role.rawValue), "alpha": .double(alpha), "steps": .int(steps),
                                        "lr": .double(learningRate), "batch": .int(batch), "optimizer": .string("adam")]
        if case .file(let path) = student { c["student_model"] = .string(path) } else { c["student"] = .string(studentText) }
        if mode != .logits {
            c["alpha"] = nil
            c["mode"] = .string(mode.rawValue)
            if role == .baseline {
                c["targets"] = .string("labels")
            } else if let teacherCommand {
                c["teacher_cmd"] = .string(teacherCommand)
                c["teacher_timeout"] = .double(teacherTimeout)
            } else {
                c["teacher"] = .string("generate")
            }
            c["max_new_tokens"] = .int(maxNewTokens)
            if mode == .icl { c["shots"] = .int(shots) }
            if mode == .cot { c["rationale_weight"] = .double(rationaleWeight) }
            return c
        }
        if maxNewTokens != Self.defaultMaxNewTokens { c["max_new_tokens"] = .int(maxNewTokens) }
        guard role == .distill else { return c }
        c["temperature"] = .double(temperature)
        c["kl"] = .string(divergence.rawValue)
        if !featurePairs.isEmpty {
            c["feature_layers"] = .string(featurePairs.map { "\($0.teacher):\($0.student)" }.joined(separator: ","))
            c["beta"] = .double(beta)
        }
        return c
    }

    public var modelPaths: [String] {
        if case .file(let path) = student { return [path] }
        return []
    }

    /// The same student trained alone (α = 0, no teacher, no hidden-state matching).
    /// The student trained alone: on the next tokens (`mode=logits`), or — black-box, once the
    /// teacher's answers are gathered — on the training prompts' labels when all have one.
    var baseline: DecoderDistill? {
        guard role == .distill else { return nil }
        var alone = self
        alone.role = .baseline
        guard mode == .logits else {
            guard gathered?.labelled == true else { return nil }
            (alone.teacherCommand, alone.gathered) = (nil, nil)
            return alone
        }
        (alone.temperature, alone.alpha, alone.divergence, alone.featurePairs, alone.beta) = (1, 0, .forward, [], 0)
        return alone
    }
}
