import Foundation
import PareNN
import PareTensor

extension DecoderDistill {
    /// Trains the student with the decoder methods' one loop (`DecoderTrainer`): per step `batch`
    /// windows (in order, cycled), the teacher's logits (and matched block outputs) computed for
    /// each, the student's gradient of the distillation loss summed, one Adam step of every
    /// student parameter (pruned zeros of a student file kept, as `finetune` does) and, after it,
    /// of each projection.
    func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if mode != .logits { return try compressBlackBox(model, context: context) }
        try validate(model, context: context)
        let teacher = try teacher(model)
        let start = try makeStudent(teacher, context: context)
        let text = context.trainingText!
        let loss = DecoderDistillationLoss(temperature: temperature, alpha: role == .baseline ? 0 : alpha, divergence: divergence)
        let adam = Adam(learningRate: learningRate)
        var projections = featurePairs.enumerated().map { i, p in
            let width = (student: start.spec.hiddenSize, teacher: teacher.spec.hiddenSize)
            let initial = FeatureLoss.initialProjection(studentWidth: width.student, teacherWidth: width.teacher, seed: context.seed &+ UInt64(i))
            return (value: initial, state: AdamState(count: initial.count))
        }
        let teacherBlocks = Set(featurePairs.map(\.teacher))
        var curves: [(key: String, step: Int, value: Double)] = []
        // The step's sums over its windows, reset once the step is taken.
        var kl = 0.0, ce = 0.0, feature = 0.0
        var projectionGradients = projections.map { [Float](repeating: 0, count: $0.value.count) }

        let trainer = DecoderTrainer(method: Distill.name, steps: steps, learningRate: learningRate, batch: batch)
        let outcome = try trainer.train(start, text: text, progress: {
            context.progress($0, "\(role == .baseline ? "baseline" : "distill") \($1)")
        }, gradient: { student, window in
            let taught = usesTeacher ? try teacher.logitsAndBlockOutputs(tokens: window, blocks: teacherBlocks) : nil
            var value: DecoderDistillationLoss.Value?
            let g = try student.gradients(tokens: window, logitLoss: { logits in
                let v = loss.evaluate(student: logits, teacher: taught?.logits, tokens: window)
                value = v
                return (v.loss, v.gradient)
            }, hiddenLoss: { block, hidden in
                guard let taught else { return nil }
                var term: (Double, Tensor)?
                for (i, pair) in featurePairs.enumerated() where pair.student == block {
                    let r = FeatureLoss.lossAndGradients(studentHidden: hidden, projection: projections[i].value,
                                                         teacherHidden: taught.outputs[pair.teacher]!)
                    let w = Float(beta / Double(featurePairs.count))
                    for j in r.projectionGradient.data.indices { projectionGradients[i][j] += w * r.projectionGradient.data[j] }
                    feature += r.loss / Double(featurePairs.count) / Double(batch)
                    var sum = term?.1.data ?? [Float](repeating: 0, count: r.studentGradient.count)
                    for j in sum.indices { sum[j] += w * r.studentGradient.data[j] }
                    term = ((term?.0 ?? 0) + Double(w) * r.loss, Tensor(shape: r.studentGradient.shape, data: sum))
                }
                return term
            })
            kl += value!.kl / Double(batch)
            ce += value!.crossEntropy / Double(batch)
            return g
        }, afterStep: { step, total in
            for i in projections.indices {
                let scaled = projectionGradients[i].map { $0 / Float(batch) }
                var p = projections[i]
                adam.step(&p.value.data, gradient: scaled, state: &p.state)
                projections[i] = p
            }
            curves.append((key: "train_loss", step: step, value: total))
            curves.append((key: "ce_loss", step: step, value: ce))
            if loss.alpha > 0 { curves.append((key: "kd_loss", step: step, value: kl)) }
            if !featurePairs.isEmpty { curves.append((key: "feature_loss", step: step, value: feature)) }
            kl = 0; ce = 0; feature = 0
            projectionGradients = projections.map { [Float](repeating: 0, count: $0.value.count) }
        })
        var metrics = ["train_tokens": Double(trainer.tokens(text))]
        if let test = context.testPrompts {
            metrics.merge(try taskMetrics(outcome.decoder, teacher: teacher, test: test, context: context)) { $1 }
        }
        return CompressionResult(model: Model(transformer: .decoder(outcome.decoder)),
                                 notes: notes(teacher: teacher, student: outcome.decoder, curves: curves, windows: text.windows),
                                 extraMetrics: metrics, curves: curves)
    }

    /// On `--test prompts:`, the white-box student is measured as the black-box ones are
    /// (`evaluate`: task_accuracy, and for a distillation teacher_agreement and
    /// teacher_response_nll against the base model's own greedy answers, cached like theirs).
    func taskMetrics(_ student: CausalDecoder, teacher: CausalDecoder, test: PromptSet,
                     context: CompressionContext) throws -> [String: Double] {
        guard let tokenizer = context.tokenizer else {
            throw ConfigError("\(Distill.name): answering --test prompts needs the model's tokenizer (tokenizer.json).")
        }
        var answers = test.items.map { (prompt: $0.prompt, response: "") }
        if role == .distill {
            let generating = TextTeacher(generating: teacher, tokenizer: tokenizer, maxNewTokens: maxNewTokens,
                                         modelHash: context.baseModelHash ?? "base")
            let cache = context.teacherCache?(generating.identity)
            context.progress(0.8, "the base model answering the test prompts")
            let asked: TextTeacher.Answers
            do { asked = try generating.answers(for: answers.map(\.prompt), cache: cache) }
            catch let error as TeacherError { throw ConfigError("\(Distill.name): \(error.description)") }
            cache?.put(asked.fresh)
            answers = Array(zip(answers.map(\.prompt), asked.texts)).map { (prompt: $0, response: $1) }
        }
        return try evaluate(student, test: test, answers: answers, tokenizer: tokenizer,
                            progress: { context.progress(0.9 + 0.1 * $0, "answering the test prompts") })
    }

    /// "student layers:1: 1 blocks, hidden …; teacher blocks 0".
    func studentNote(teacher: CausalDecoder, student: CausalDecoder) -> String {
        let s = student.spec
        var describe = "student \(studentText): \(s.layers) blocks, hidden \(s.hiddenSize), \(s.heads) heads (\(s.kvHeads) key/value), MLP \(s.intermediateSize)"
        if case .depth(let k) = self.student {
            describe += "; teacher blocks " + Self.spreadBlocks(k, of: teacher.layers.count).map(String.init).joined(separator: ",")
        }
        return describe
    }

    func notes(teacher: CausalDecoder, student: CausalDecoder, curves: [(key: String, step: Int, value: Double)],
               windows: [[Int]]) -> [String] {
        func first(_ key: String) -> Double? { curves.first { $0.key == key }?.value }
        func last(_ key: String) -> Double? { curves.last { $0.key == key }?.value }
        let s = student.spec
        var notes = [studentNote(teacher: teacher, student: student)]
        let tokens = steps * batch * (windows.first?.count ?? 0)
        let what = role == .baseline ? "trained alone on the next tokens (the reference for distillation)"
            : "distilled from the base model with \(divergence == .forward ? "forward" : "reverse") KL at temperature \(String(format: "%g", temperature)), alpha \(String(format: "%g", alpha))"
        notes.append("\(what): \(steps) step\(steps == 1 ? "" : "s") of \(batch) window\(batch == 1 ? "" : "s") (\(tokens) tokens), Adam lr \(learningRate); train loss \(String(format: "%.4f", first("train_loss")!)) → \(String(format: "%.4f", last("train_loss")!))")
        if let a = first("kd_loss"), let b = last("kd_loss") {
            notes.append("KL to the teacher on the training windows \(String(format: "%.4f", a)) → \(String(format: "%.4f", b))")
        }
        if !featurePairs.isEmpty {
            notes.append("hidden-state matching of blocks (teacher:student) \(featurePairs.map { "\($0.teacher):\($0.student)" }.joined(separator: ",")) through learned \(teacher.spec.hiddenSize)×\(s.hiddenSize) projections, beta \(String(format: "%g", beta))")
        }
        return notes
    }
}
