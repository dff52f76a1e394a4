import Foundation
import PareNN
import PareTensor

/// The teacher's answers a black-box distillation trains and is evaluated on, asked once,
/// before the run is recorded.
struct GatheredTeacher: Sendable {
    /// Per training example: the student's prompt and the teacher's response.
    var train: [(prompt: String, response: String)]
    /// Per test prompt: the student's prompt and the teacher's response.
    var test: [(prompt: String, response: String)]
    /// Prompts the teacher was actually asked (the rest came from the cache).
    var queries: Int
    var identity: String
    /// Every training prompt has a label, so the student trained on the labels alone (the
    /// black-box baseline) can be recorded beside the distillation.
    var labelled: Bool
}

/// Black-box distillation of a decoder LM from a teacher's text (`mode=instruction|icl|cot`
/// on `--train prompts:FILE`): the teacher (`teacher_cmd`, or greedy generation with the base
/// model, at most `max_new_tokens` tokens) answers the prompts; the student is fine-tuned with
/// `DecoderTrainer` (`steps`, `lr`, `batch`: examples per step, in order, cycled) on
/// `prompt ‖ response ‖ EOS`, the loss counted on the response tokens only (`ResponseLoss`).
///
/// - `instruction`: the student's prompt is the prompt; the target, the teacher's response.
/// - `icl` (`shots=k`): the first k training prompts, answered by the teacher, are the
///   demonstrations; every other training prompt (and every test prompt) becomes the few-shot
///   prompt `demo₁ + answer₁ + "\n\n" + … + demoₖ + answerₖ + "\n\n" + prompt`, answered by the
///   teacher given that same few-shot prompt.
/// - `cot`: the prompt is followed by `cotInstruction` ("\nThink step by step, then give the
///   final answer on its own last line as \"Answer: …\".\n"); the teacher's response is split at
///   its last "Answer:" into the rationale (before) and the answer (that line on, EOS
///   included; a response without "Answer:" is all answer), and the loss is
///   `rationale_weight · mean CE(rationale) + mean CE(answer)`.
///
/// Evaluation on `--test prompts:FILE`: the student greedily generates (`max_new_tokens`) from
/// each test prompt as it was trained (few-shot for icl, with the instruction for cot), and the
/// run records `task_accuracy` (labelled prompts), `teacher_agreement` and
/// `teacher_response_nll` (`AnswerMatching` says how answers are compared).
///
/// `role=baseline` (the companion run recorded beside a distillation whose training prompts are
/// all labelled) asks no teacher: the targets are the labels themselves (" label" after the
/// prompt; "Answer: label" for cot; icl's demonstrations answered by their labels), the same
/// prompts, steps and evaluation, `task_accuracy` only — the gain of the teacher's text over the
/// task's own labels is then `accuracy_gain_over_baseline`.
extension DecoderDistill {
    static let cotInstruction = "\nThink step by step, then give the final answer on its own last line as \"Answer: …\".\n"

    /// The few-shot prefix of `mode=icl`: each demonstration with the teacher's answer.
    static func fewShotPrefix(_ demos: [(prompt: String, answer: String)]) -> String {
        demos.map { $0.prompt + $0.answer + "\n\n" }.joined()
    }

    /// The response split into chain-of-thought's rationale and answer (at the last "Answer:").
    static func splitRationale(_ response: String) -> (rationale: String, answer: String) {
        guard let range = response.range(of: "answer:", options: [.caseInsensitive, .backwards]) else { return ("", response) }
        return (String(response[..<range.lowerBound]), String(response[range.lowerBound...]))
    }

    func validateBlackBox(_ model: Model, context: CompressionContext) throws {
        let name = Distill.name
        let teacher = try teacher(model)
        guard let prompts = context.trainingPrompts else {
            throw ConfigError("\(name) mode=\(mode.rawValue) learns from the teacher's answers to prompts: pass --train prompts:FILE (JSON lines with \"prompt\").")
        }
        guard context.tokenizer != nil else {
            throw ConfigError("\(name) mode=\(mode.rawValue) needs the model's tokenizer (tokenizer.json) to read the prompts and answers.")
        }
        if mode == .icl, prompts.items.count <= shots {
            throw ConfigError("\(name): shots=\(shots) takes the first \(shots) training prompts as demonstrations, but --train has \(prompts.items.count); give more prompts or fewer shots.")
        }
        _ = try makeStudent(teacher, context: context)
    }

    /// This distillation with the teacher's answers asked (or read from the cache), every
    /// response checked to fit the model's context; the fresh answers are cached only then.
    func gatheringTeacher(_ model: Model, context: CompressionContext) throws -> DecoderDistill {
        try validateBlackBox(model, context: context)
        if role == .baseline { return try gatheringLabels(model, context: context) }
        let decoder = try teacher(model)
        let tokenizer = context.tokenizer!
        let textTeacher: TextTeacher
        do {
            if let teacherCommand {
                textTeacher = try TextTeacher(command: teacherCommand, timeout: teacherTimeout)
            } else {
                textTeacher = TextTeacher(generating: decoder, tokenizer: tokenizer, maxNewTokens: maxNewTokens,
                                          modelHash: context.baseModelHash ?? "base")
            }
        } catch let error as TeacherError {
            throw ConfigError("\(Distill.name): \(error.description)")
        }
        let cache = context.teacherCache?(textTeacher.identity)
        var queries = 0
        var fresh: [(key: String, answer: TeacherAnswer)] = []
        func ask(_ prompts: [String]) throws -> [String] {
            guard !prompts.isEmpty else { return [] }
            do {
                let answers = try textTeacher.answers(for: prompts, cache: cache)
                queries += answers.queried
                fresh += answers.fresh
                return answers.texts
            } catch let error as TeacherError {
                throw ConfigError("\(Distill.name): \(error.description)")
            }
        }
        context.progress(0, "asking the teacher")
        let trainItems = context.trainingPrompts!.items.map(\.prompt)
        let testItems = context.testPrompts?.items.map(\.prompt) ?? []
        var train: [(prompt: String, response: String)] = []
        var test: [(prompt: String, response: String)] = []
        switch mode {
        case .logits:
            preconditionFailure("logit distillation asks no text teacher")
        case .instruction, .cot:
            let suffix = mode == .cot ? Self.cotInstruction : ""
            let trainPrompts = trainItems.map { $0 + suffix }, testPrompts = testItems.map { $0 + suffix }
            let answers = try ask(trainPrompts + testPrompts)
            train = Array(zip(trainPrompts, answers.prefix(trainPrompts.count))).map { ($0, $1) }
            test = Array(zip(testPrompts, answers.dropFirst(trainPrompts.count))).map { ($0, $1) }
        case .icl:
            let demos = Array(trainItems.prefix(shots))
            let prefix = Self.fewShotPrefix(Array(zip(demos, try ask(demos))).map { ($0, $1) })
            let trainPrompts = trainItems.dropFirst(shots).map { prefix + $0 }, testPrompts = testItems.map { prefix + $0 }
            let answers = try ask(trainPrompts + testPrompts)
            train = Array(zip(trainPrompts, answers.prefix(trainPrompts.count))).map { ($0, $1) }
            test = Array(zip(testPrompts, answers.dropFirst(trainPrompts.count))).map { ($0, $1) }
        }
        try checkFits(train: train, test: test, decoder: decoder, tokenizer: tokenizer, whose: "the teacher's response")
        cache?.put(fresh)
        var ready = self
        ready.gathered = GatheredTeacher(train: train, test: test, queries: queries, identity: textTeacher.identity,
                                         labelled: context.trainingPrompts!.items.allSatisfy { $0.label != nil })
        return ready
    }

    /// Every (prompt, target) with its prompt fits the model's context, or one sentence naming it.
    func checkFits(train: [(prompt: String, response: String)], test: [(prompt: String, response: String)],
                   decoder: CausalDecoder, tokenizer: any Tokenizer, whose: String) throws {
        let positions = decoder.spec.maxPositions
        for (which, pairs, offset) in [("training", train, mode == .icl ? shots : 0), ("test", test, 0)] {
            for (i, pair) in pairs.enumerated() {
                let n = try sequence(pair.prompt, pair.response, tokenizer: tokenizer).tokens.count
                guard n <= positions else {
                    throw ConfigError("\(Distill.name): \(whose) to \(which) prompt \(i + offset + 1) does not fit the model's context: with its prompt it is \(n) tokens, more than \(positions); shorten the prompt\(mode == .icl ? " or use fewer shots" : "") or lower max_new_tokens.")
                }
            }
        }
    }

    /// The answer a label stands for as a training target: after the prompt, or on cot's
    /// "Answer:" line.
    func labelTarget(_ label: String) -> String { mode == .cot ? "Answer: \(label)" : " \(label)" }

    /// `role=baseline`: the same prompts as the mode builds them, answered by their labels.
    func gatheringLabels(_ model: Model, context: CompressionContext) throws -> DecoderDistill {
        let items = context.trainingPrompts!.items
        if let i = items.firstIndex(where: { $0.label == nil }) {
            throw ConfigError("\(Distill.name): role=baseline trains the student on the training prompts' labels, but prompt \(i + 1) of \(context.trainingPrompts!.name) has no \"label\".")
        }
        let testItems = context.testPrompts?.items ?? []
        let target = { (label: String?) in label.map(labelTarget) ?? "" }
        var prefix = "", trainItems = items[...]
        if mode == .icl {
            prefix = Self.fewShotPrefix(items.prefix(shots).map { ($0.prompt, target($0.label)) })
            trainItems = items.dropFirst(shots)
        }
        let suffix = mode == .cot ? Self.cotInstruction : ""
        let train = trainItems.map { (prompt: prefix + $0.prompt + suffix, response: target($0.label)) }
        let test = testItems.map { (prompt: prefix + $0.prompt + suffix, response: target($0.label)) }
        try checkFits(train: train, test: test, decoder: try teacher(model), tokenizer: context.tokenizer!, whose: "the label")
        var ready = self
        ready.gathered = GatheredTeacher(train: train, test: test, queries: 0, identity: "labels", labelled: true)
        return ready
    }

    /// `prompt ‖ response ‖ EOS` as tokens, with the per-position loss weights.
    func sequence(_ prompt: String, _ response: String, tokenizer: any Tokenizer) throws -> (tokens: [Int], weights: [Double]) {
        let promptIDs = tokenizer.encode(prompt, addSpecialTokens: true, maxLength: nil)
        guard !promptIDs.isEmpty else { throw ConfigError("\(Distill.name): a prompt gives no tokens; give some text.") }
        let eos = tokenizer.eosID.map { [$0] } ?? []
        var parts: [(ids: [Int], weight: Double)]
        if mode == .cot {
            let (rationale, answer) = Self.splitRationale(response)
            let r = rationale.isEmpty ? [] : tokenizer.encode(rationale, addSpecialTokens: false, maxLength: nil)
            parts = [(r, rationaleWeight), (tokenizer.encode(answer, addSpecialTokens: false, maxLength: nil) + eos, 1)]
        } else {
            parts = [(tokenizer.encode(response, addSpecialTokens: false, maxLength: nil) + eos, 1)]
        }
        if parts.allSatisfy({ $0.ids.isEmpty }) { parts = [([promptIDs.last!], 1)] }   // nothing to learn but the stop
        let tokens = promptIDs + parts.flatMap(\.ids)
        return (tokens, ResponseLoss.weights(promptCount: promptIDs.count, parts: parts.map { ($0.ids.count, $0.weight) }))
    }

    func compressBlackBox(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let ready = gathered == nil ? try gatheringTeacher(model, context: context) : self
        let data = ready.gathered!
        let tokenizer = context.tokenizer!
        let teacher = try teacher(model)
        let start = try makeStudent(teacher, context: context)
        var weightsByTokens: [[Int]: [Double]] = [:]
        var windows: [[Int]] = []
        for pair in data.train {
            let s = try sequence(pair.prompt, pair.response, tokenizer: tokenizer)
            weightsByTokens[s.tokens] = s.weights
            windows.append(s.tokens)
        }
        guard !windows.isEmpty else { throw ConfigError("\(Distill.name): no training prompt is left to train on.") }
        let longest = windows.map(\.count).max()!
        let name = context.trainingPrompts!.name
        let text = TextWindows(spec: TextSpec(path: context.trainingPrompts!.path, tokens: windows.reduce(0) { $0 + $1.count }, context: longest),
                               name: name, windows: windows)
        let trainer = DecoderTrainer(method: Distill.name, steps: steps, learningRate: learningRate, batch: batch)
        var curves: [(key: String, step: Int, value: Double)] = []
        let outcome = try trainer.train(start, text: text, progress: { context.progress(0.8 * $0, "distill \($1)") },
                                        gradient: { student, window in
            try student.gradients(tokens: window, logitLoss: { logits in
                let r = ResponseLoss.evaluate(logits: logits, tokens: window, weights: weightsByTokens[window]!)
                return (r.loss, r.gradient)
            })
        }, afterStep: { step, loss in curves.append((key: "train_loss", step: step, value: loss)) })
        let student = outcome.decoder
        var metrics: [String: Double] = ["teacher_queries": Double(data.queries),
                                         "train_tokens": Double(steps * batch * windows.reduce(0) { $0 + $1.count } / windows.count)]
        if let test = context.testPrompts, !data.test.isEmpty {
            metrics.merge(try evaluate(student, test: test, answers: data.test, tokenizer: tokenizer,
                                       progress: { context.progress(0.8 + 0.2 * $0, "answering the test prompts") })) { $1 }
        }
        let modeText: String = switch mode {
        case .instruction: "instruction following"
        case .icl: "in-context learning (\(shots) demonstration\(shots == 1 ? "" : "s") per prompt)"
        case .cot: "chain of thought (rationale weight \(String(format: "%g", rationaleWeight)))"
        case .logits: "logits"
        }
        let asked = teacherCommand.map { "'\($0)'" } ?? "the base model's greedy generation (at most \(maxNewTokens) tokens)"
        var notes = [studentNote(teacher: teacher, student: student)]
        if role == .baseline {
            notes.append("the student trained alone on the training prompts' own labels (\(modeText) prompts, no teacher), the reference for black-box distillation; \(windows.count) training example\(windows.count == 1 ? "" : "s"), loss on the label tokens only")
        } else {
            notes.append("black-box distillation, \(modeText), from \(asked): \(data.queries) prompt\(data.queries == 1 ? "" : "s") asked, the rest from the cache; \(windows.count) training example\(windows.count == 1 ? "" : "s"), loss on the response tokens only")
        }
        notes.append(trainer.note("trained", losses: outcome.losses, text: text))
        return CompressionResult(model: Model(transformer: .decoder(student)), notes: notes, extraMetrics: metrics, curves: curves)
    }

    /// task_accuracy, teacher_agreement and teacher_response_nll of `student` on the test prompts.
    func evaluate(_ student: CausalDecoder, test: PromptSet, answers: [(prompt: String, response: String)],
                  tokenizer: any Tokenizer, progress: (Double) -> Void) throws -> [String: Double] {
        var correct = 0, labelled = 0, agreed = 0
        var nll = 0.0, counted = 0.0
        let cot = mode == .cot
        for (i, (item, pair)) in zip(test.items, answers).enumerated() {
            let ids = tokenizer.encode(pair.prompt, addSpecialTokens: true, maxLength: nil)
            let generated = tokenizer.decode(try student.greedyContinuation(of: ids, maxNewTokens: maxNewTokens, stop: tokenizer.eosID),
                                             skipSpecialTokens: true)
            let mine = AnswerMatching.answer(generated, afterAnswerMarker: cot)
            let theirs = AnswerMatching.answer(pair.response, afterAnswerMarker: cot)
            if let label = item.label {
                labelled += 1
                if AnswerMatching.matches(mine, label: label, choices: item.choices) { correct += 1 }
            }
            progress(Double(i + 1) / Double(test.items.count))
            // The baseline's targets are the labels: there is no teacher to agree with.
            guard role == .distill else { continue }
            if AnswerMatching.agrees(mine, teacher: theirs, choices: item.choices) { agreed += 1 }
            // The student's NLL of the teacher's whole response (every response token weighted 1).
            let s = try sequence(pair.prompt, pair.response, tokenizer: tokenizer)
            let responseCount = s.weights.filter { $0 > 0 }.count
            let flat = s.weights.map { $0 > 0 ? 1.0 : 0 }
            let logits = try student.logits(tokens: s.tokens)
            nll += ResponseLoss.evaluate(logits: logits, tokens: s.tokens, weights: flat).loss
            counted += Double(responseCount)
        }
        var metrics: [String: Double] = [:]
        if role == .distill { metrics["teacher_agreement"] = Double(agreed) / Double(max(answers.count, 1)) }
        if labelled > 0 { metrics["task_accuracy"] = Double(correct) / Double(labelled) }
        if counted > 0 { metrics["teacher_response_nll"] = nll / counted }
        return metrics
    }
}
