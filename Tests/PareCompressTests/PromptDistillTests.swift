import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// `distill mode=instruction|icl|cot` on the tiny Llama: the student learns the teacher's
/// answers (loss on response tokens only), the evaluation records the task metrics, the
/// teacher's answers come from the cache on a rerun, and what does not fit is refused.
@Suite(.serialized) struct PromptDistillTests {
    static func tokenizer() throws -> any Tokenizer {
        try TokenizerLoader.load(tokenizerJSON: TinyTransformers.tokenizers.appending(path: "bpe-tiny.tokenizer.json"))
    }

    static let train = PromptSet(path: "train.jsonl", items: [
        PromptItem(prompt: "a good dog:", label: "positive"), PromptItem(prompt: "a bad cat:", label: "negative"),
        PromptItem(prompt: "so good:", label: "positive"), PromptItem(prompt: "so bad:", label: "negative"),
    ])
    static let test = PromptSet(path: "test.jsonl", items: [
        PromptItem(prompt: "good fox:", label: "positive", choices: ["positive", "negative"]),
        PromptItem(prompt: "bad fox:", label: "negative"),
    ])

    static func context(_ tokenizer: any Tokenizer, cache: MemoryTeacherCache? = nil) -> CompressionContext {
        var c = CompressionContext(seed: 1)
        c.trainingPrompts = train
        c.testPrompts = test
        c.tokenizer = tokenizer
        c.baseModelHash = "tiny"
        if let cache { c.teacherCache = { _ in cache } }
        return c
    }

    /// The tiny Llama with a context of `positions` (chain of thought's instruction needs more than 64).
    static func teacher(positions: Int = 64) throws -> CausalDecoder {
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-prompt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case .decoder(let d) = try TransformerRegistry.load(directory: try TinyTransformers.llama(in: folder, positions: positions)) else {
            throw ConfigError("not a decoder")
        }
        return d
    }

    func run(_ values: [String: String], cache: MemoryTeacherCache? = nil) throws -> (CompressionResult, TeacherScripts) {
        let scripts = try TeacherScripts()
        let path = try scripts.write("teacher.py", pythonTextTeacher)
        var settings = ["student": "layers:1", "steps": "12", "lr": "0.01", "batch": "2", "teacher_cmd": "python3 \(path)"]
        settings.merge(values) { $1 }
        let method = try DecoderDistillTests.method(settings)
        let model = Model(transformer: .decoder(try Self.teacher(positions: values["mode"] == "cot" ? 128 : 64)))
        let context = Self.context(try Self.tokenizer(), cache: cache)
        let ready = try method.preparedForRecording(model, context: context)
        return (try ready.compress(model, context: context), scripts)
    }

    @Test(arguments: ["instruction", "icl"])
    func theStudentLearnsTheTeachersAnswersAndIsScoredOnTheTestPrompts(_ mode: String) throws {
        let cache = MemoryTeacherCache()
        let (result, scripts) = try run(["mode": mode, "max_new_tokens": "4", "steps": "30"].merging(mode == "icl" ? ["shots": "1"] : [:]) { $1 }, cache: cache)
        defer { scripts.remove() }
        let losses = result.curves.filter { $0.key == "train_loss" }.map(\.value)
        #expect(losses.count == 30 && losses.last! < 0.5 * losses.first!, "\(losses)")
        let m = result.extraMetrics
        let asked = mode == "icl" ? 1 + 3 + 2 : 4 + 2
        #expect(m["teacher_queries"] == Double(asked), "\(m)")
        for key in ["task_accuracy", "teacher_agreement", "teacher_response_nll"] { #expect(m[key] != nil, "\(key) in \(m)") }
        #expect(m["task_accuracy"] == m["teacher_agreement"], "the teacher is always right here")
        #expect(m["teacher_response_nll"]! < 2, "\(m)")
        #expect(result.notes.contains { $0.contains("black-box distillation") })

        let (again, more) = try run(["mode": mode, "max_new_tokens": "4", "steps": "30"].merging(mode == "icl" ? ["shots": "1"] : [:]) { $1 }, cache: cache)
        defer { more.remove() }
        #expect(again.extraMetrics["teacher_queries"] == 0, "a rerun asks the teacher nothing")
        #expect(again.extraMetrics["task_accuracy"] == m["task_accuracy"])
    }

    @Test func chainOfThoughtWeighsTheRationaleAndTheAnswer() throws {
        let (result, scripts) = try run(["mode": "cot", "rationale_weight": "0.5", "max_new_tokens": "4"])
        defer { scripts.remove() }
        #expect(result.extraMetrics["teacher_agreement"] != nil)
        #expect(result.notes.contains { $0.contains("chain of thought (rationale weight 0.5)") }, "\(result.notes)")
    }

    /// A chain-of-thought target: the prompt masked, the rationale's tokens sharing
    /// rationale_weight, the answer's (from its "Answer:", EOS included) sharing 1.
    @Test func aChainOfThoughtTargetWeighsItsRationaleAndItsAnswerAsTwoTerms() throws {
        let method = try DecoderDistillTests.method(["student": "layers:1", "mode": "cot", "rationale_weight": "0.25"])
        let tokenizer = try Self.tokenizer()
        let prompt = "so good:" + DecoderDistill.cotInstruction
        let s = try method.decoder!.sequence(prompt, " good is nice. Answer: positive", tokenizer: tokenizer)
        let promptCount = tokenizer.encode(prompt, addSpecialTokens: true, maxLength: nil).count
        let rationale = tokenizer.encode(" good is nice. ", addSpecialTokens: false, maxLength: nil).count
        let answer = tokenizer.encode("Answer: positive", addSpecialTokens: false, maxLength: nil).count + (tokenizer.eosID == nil ? 0 : 1)
        #expect(s.tokens.count == promptCount + rationale + answer)
        #expect(s.weights.prefix(promptCount - 1).allSatisfy { $0 == 0 })
        let r = s.weights[(promptCount - 1)..<(promptCount - 1 + rationale)], a = s.weights[(promptCount - 1 + rationale)...]
        #expect(abs(r.reduce(0, +) - 0.25) < 1e-12 && abs(a.reduce(0, +) - 1) < 1e-12)
        if let eos = tokenizer.eosID { #expect(s.tokens.last == eos) }
    }

    @Test func theGenerationTeacherIsTheBaseModel() throws {
        let method = try DecoderDistillTests.method(["student": "layers:1", "steps": "2", "mode": "instruction", "max_new_tokens": "3"])
        let model = Model(transformer: .decoder(try TransformerStructuredPruningTests.decoder()))
        let cache = MemoryTeacherCache()
        let context = Self.context(try Self.tokenizer(), cache: cache)
        let result = try method.preparedForRecording(model, context: context).compress(model, context: context)
        #expect(result.extraMetrics["teacher_queries"] == 6)
        #expect(cache.count == 6)
        #expect(method.config["teacher"] == .string("generate") && method.config["max_new_tokens"] == .int(3))
    }

    /// White-box distillation (mode=logits, on --train text) answers --test prompts like the
    /// black-box modes: a student that is the teacher (every block copied, a vanishing step)
    /// agrees with the base model's own answers on every prompt; those answers are cached, so a
    /// rerun generates none; the baseline records task_accuracy and no agreement.
    @Test func whiteBoxStudentsAreScoredOnTestPromptsAgainstTheBaseModelsAnswers() throws {
        let tokenizer = try Self.tokenizer()
        let base = try TransformerStructuredPruningTests.decoder()
        let model = Model(transformer: .decoder(base))
        var context = Self.context(tokenizer, cache: MemoryTeacherCache())
        let cache = MemoryTeacherCache()
        context.teacherCache = { _ in cache }
        let windows = Self.train.items.map { tokenizer.encode($0.prompt + " " + $0.label!, addSpecialTokens: true, maxLength: nil) }
        context.trainingText = TextWindows(spec: TextSpec(path: "train.txt", tokens: windows.reduce(0) { $0 + $1.count }, context: windows.map(\.count).max()!),
                                           windows: windows)
        context.trainingPrompts = nil
        let method = try DecoderDistillTests.method(["student": "layers:2", "steps": "1", "lr": "1e-12", "max_new_tokens": "3"])
        let result = try method.compress(model, context: context)
        // The student's answers are the base model's, so it agrees wherever an answer can agree
        // with itself (a random model's answer may name no choice, and then agrees with nothing).
        let selfAgreeing = try Self.test.items.filter { item in
            let ids = tokenizer.encode(item.prompt, addSpecialTokens: true, maxLength: nil)
            let answer = AnswerMatching.answer(tokenizer.decode(try base.greedyContinuation(of: ids, maxNewTokens: 3, stop: tokenizer.eosID),
                                                                skipSpecialTokens: true), afterAnswerMarker: false)
            return AnswerMatching.agrees(answer, teacher: answer, choices: item.choices)
        }.count
        #expect(result.extraMetrics["teacher_agreement"] == Double(selfAgreeing) / Double(Self.test.items.count), "\(result.extraMetrics)")
        #expect(result.extraMetrics["task_accuracy"] != nil && result.extraMetrics["teacher_response_nll"] != nil)
        #expect(cache.count == Self.test.items.count)
        _ = try method.compress(model, context: context)
        #expect(cache.count == Self.test.items.count, "a rerun generates no answer again")
        #expect(method.config["max_new_tokens"] == .int(3))
        let baseline = try method.decoder!.baseline!.compress(model, context: context)
        #expect(baseline.extraMetrics["task_accuracy"] != nil && baseline.extraMetrics["teacher_agreement"] == nil)
    }

    @Test func aResponseThatDoesNotFitTheContextIsRefusedBeforeAnythingIsCached() throws {
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let long = try scripts.write("long.py", """
        import json, sys
        for line in sys.stdin:
            q = json.loads(line)
            print(json.dumps({"id": q["id"], "text": " the quick brown fox" * 40}), flush=True)
        """)
        let method = try DecoderDistillTests.method(["student": "layers:1", "mode": "instruction", "teacher_cmd": "python3 \(long)"])
        let model = Model(transformer: .decoder(try TransformerStructuredPruningTests.decoder()))
        let cache = MemoryTeacherCache()
        do {
            _ = try method.preparedForRecording(model, context: Self.context(try Self.tokenizer(), cache: cache))
            Issue.record("a response longer than the context was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("training prompt 1") && error.description.contains("64"), "\(error.description)")
        }
        #expect(cache.count == 0)
    }

    @Test func settingsOfTheOtherModeAreRefused() throws {
        func refused(_ values: [String: String], _ words: [String]) {
            do {
                _ = try DecoderDistillTests.method(["student": "layers:1"].merging(values) { $1 })
                Issue.record("\(values) accepted")
            } catch {
                for w in words { #expect("\(error)".contains(w), "\(w) in \(error)") }
            }
        }
        refused(["mode": "instruction", "alpha": "0.5"], ["alpha", "mode=logits"])
        refused(["mode": "instruction", "shots": "2"], ["shots", "mode=icl"])
        refused(["mode": "icl", "rationale_weight": "2"], ["rationale_weight", "mode=cot"])
        refused(["shots": "3"], ["shots", "mode=instruction"])
        refused(["mode": "instruction", "teacher_cmd": "/nonexistent/teacher"], ["does not exist"])
        refused(["mode": "chat"], ["mode"])
    }
}
