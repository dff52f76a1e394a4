import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// `distill` on a decoder LM (the tiny Llama as teacher): the students it builds, that training
/// lowers the KL to the teacher, its baseline companion, and what it refuses.
@Suite struct DecoderDistillTests {
    static func teacher() throws -> CausalDecoder { try TransformerStructuredPruningTests.decoder() }

    static func method(_ values: [String: String]) throws -> Distill {
        try Distill(settings: Settings(method: Distill.name, values: values))
    }

    static func decoder(_ result: CompressionResult) throws -> CausalDecoder {
        guard case .decoder(let d)? = result.model.transformer else { throw ConfigError("not a decoder") }
        return d
    }

    /// Mean forward KL(teacher ‖ student) at T = 1 over the windows' predicting positions.
    static func kl(_ student: CausalDecoder, _ teacher: CausalDecoder, _ windows: [[Int]],
                   _ divergence: DecoderDistillationLoss.Divergence = .forward) throws -> Double {
        let loss = DecoderDistillationLoss(temperature: 1, alpha: 1, divergence: divergence)
        var total = 0.0
        for w in windows {
            total += loss.evaluate(student: try student.logits(tokens: w), teacher: try teacher.logits(tokens: w), tokens: w).kl
        }
        return total / Double(windows.count)
    }

    @Test func blocksAreSpreadWithTheFirstAndTheLastKept() {
        #expect(DecoderDistill.spreadBlocks(15, of: 30) == [0, 2, 4, 6, 8, 10, 12, 15, 17, 19, 21, 23, 25, 27, 29])
        #expect(DecoderDistill.spreadBlocks(20, of: 30) == [0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24, 26, 27, 29])
        #expect(DecoderDistill.spreadBlocks(2, of: 2) == [0, 1])
        #expect(DecoderDistill.spreadBlocks(1, of: 5) == [0])
    }

    /// A one-block copy of the two-block teacher, distilled 30 steps with forward and reverse KL
    /// and hidden-state matching: the KL to the teacher on the training windows falls from where
    /// the copy started (this can fail: a wrong gradient sign or a step that ignores it fails it).
    @Test(arguments: [["kl": "forward"], ["kl": "reverse"], ["kl": "forward", "feature_layers": "1:0", "beta": "0.5"]])
    func distillingADepthReducedStudentLowersItsKLToTheTeacher(_ extra: [String: String]) throws {
        let teacher = try Self.teacher()
        let windows = TransformerStructuredPruningTests.windows(count: 2, length: 12)
        var values = ["student": "layers:1", "steps": "30", "lr": "0.003", "batch": "2", "temperature": "1", "alpha": "1"]
        values.merge(extra) { $1 }
        let method = try Self.method(values)
        let result = try method.compress(Model(transformer: .decoder(teacher)), context: CompressionContext(trainingText: windows))
        let student = try Self.decoder(result)
        #expect(student.layers.count == 1 && student.spec.layers == 1)
        let start = TransformerStructuredPruning.dropBlocks(teacher, removing: [1])
        let divergence = DecoderDistillationLoss.Divergence(rawValue: extra["kl"]!)!
        let before = try Self.kl(start, teacher, windows.windows, divergence), after = try Self.kl(student, teacher, windows.windows, divergence)
        #expect(after < 0.7 * before, "KL \(before) → \(after)")
        let kd = result.curves.filter { $0.key == "kd_loss" }.map(\.value)
        #expect(kd.count == 30 && kd.last! < kd.first!)
        #expect(abs(kd.first! - before) < 1e-4 * max(before, 1), "the first step's KL is the start's")
        if extra["feature_layers"] != nil { #expect(result.curves.contains { $0.key == "feature_loss" }) }
        #expect(result.extraMetrics["train_tokens"] == Double(30 * 2 * 12))
        #expect(result.notes.contains { $0.contains("teacher blocks 0") })
    }

    /// The baseline is the same student trained alone: α = 0, no teacher term, recorded with role=baseline.
    @Test func theBaselineIsTheSameStudentTrainedAlone() throws {
        let teacher = try Self.teacher()
        let windows = TransformerStructuredPruningTests.windows(count: 2, length: 12)
        let method = try Self.method(["student": "layers:1", "steps": "3", "alpha": "0.5", "kl": "reverse", "feature_layers": "1:0"])
        let alone = try #require(method.baseline as? Distill)
        #expect(alone.config["role"] == .string("baseline") && alone.config["alpha"] == .double(0))
        #expect(alone.config["kl"] == nil && alone.config["feature_layers"] == nil && alone.config["student"] == .string("layers:1"))
        #expect(alone.baseline == nil)
        let context = CompressionContext(trainingText: windows)
        let model = Model(transformer: .decoder(teacher))
        let trained = try Self.decoder(try alone.compress(model, context: context))
        // α = 0 in the distill role trains exactly as the baseline does.
        let zero = try Self.decoder(try Self.method(["student": "layers:1", "steps": "3", "alpha": "0"]).compress(model, context: context))
        #expect(trained.linears.map { $0.weight.decoded() } == zero.linears.map { $0.weight.decoded() })
        #expect(trained.linears.map { $0.weight.decoded() } != TransformerStructuredPruning.dropBlocks(teacher, removing: [1]).linears.map { $0.weight.decoded() })
    }

    @Test func aFreshStudentHasItsSizesTheTeachersVocabularyAndASeededStart() throws {
        let teacher = try Self.teacher()
        let method = try Self.method(["student": "llama:layers=1,hidden=16,heads=2,kv_heads=1,intermediate=24", "steps": "2", "lr": "0.01"])
        let context = CompressionContext(trainingText: TransformerStructuredPruningTests.windows(count: 1, length: 10), seed: 5)
        let result = try method.compress(Model(transformer: .decoder(teacher)), context: context)
        let s = try Self.decoder(result).spec
        let sizes: [Int] = [s.layers, s.hiddenSize, s.heads, s.kvHeads, s.intermediateSize, s.headDim, s.vocabSize]
        let wanted: [Int] = [1, 16, 2, 1, 24, teacher.spec.headDim, teacher.spec.vocabSize]
        #expect(sizes == wanted)
        let a = try DecoderDistill.freshStudent(.init(layers: 1, hidden: 16, heads: 2), like: teacher, seed: 5)
        let b = try DecoderDistill.freshStudent(.init(layers: 1, hidden: 16, heads: 2), like: teacher, seed: 5)
        let c = try DecoderDistill.freshStudent(.init(layers: 1, hidden: 16, heads: 2), like: teacher, seed: 6)
        #expect(a.embedTokens.weight == b.embedTokens.weight && a.embedTokens.weight != c.embedTokens.weight)
        let e = a.embedTokens.weight.data.map(Double.init)
        let sd = (e.reduce(0) { $0 + $1 * $1 } / Double(e.count)).squareRoot()
        #expect(abs(sd - 0.02) < 0.002, "init standard deviation \(sd)")
        // The intermediate width defaults to the teacher's ratio (48 at 32 → 24 at 16).
        #expect(a.spec.intermediateSize == 24 && a.spec.kvHeads == 2)
    }

    @Test func badSettingsAndStudentsAreRefusedInOneSentence() throws {
        let teacher = try Self.teacher()
        let model = Model(transformer: .decoder(teacher))
        let text = CompressionContext(trainingText: TransformerStructuredPruningTests.windows(count: 1, length: 10))
        func refused(_ values: [String: String], context: CompressionContext = text, models: [String: Model] = [:],
                     _ words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                var c = context
                c.models = models
                try Self.method(values).validate(model, context: c)
                Issue.record("accepted \(values)", sourceLocation: sourceLocation)
            } catch let error as ConfigError {
                for w in words { #expect(error.description.contains(w), "'\(w)' in \(error.description)", sourceLocation: sourceLocation) }
                #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(error)", sourceLocation: sourceLocation)
            }
        }
        refused(["student": "layers:1", "alpha": "1.5"], ["alpha=1.5", "[0, 1]"])
        refused(["student": "layers:1", "kl": "sideways"], ["kl", "forward, reverse"])
        refused(["student": "layers:3"], ["layers:3", "2"])
        refused(["student": "layers:1", "feature_layers": "1:4"], ["student block 4", "0…0"])
        refused(["student": "layers:1", "feature_layers": "7:0"], ["teacher block 7", "0…1"])
        refused(["student": "layers:1", "feature_layers": "x:0"], ["feature_layers", "x:0"])
        refused(["student": "layers:1", "beta": "2"], ["feature_layers"])
        refused(["student": "layers:1"], context: CompressionContext(), ["--train text:"])
        refused(["student": "llama:layers=1,hidden=16"], ["heads"])
        refused(["student": "llama:layers=1,hidden=16,heads=3,kv_heads=2"], ["multiple"])
        refused(["student": "layers:1", "role": "baseline", "temperature": "2"], ["role=baseline", "temperature"])
        refused(["student": "layers:1", "epochs": "3"], ["epochs"])
        // A student file with another vocabulary.
        let folder = FileManager.default.temporaryDirectory.appending(path: "pare-ddistill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = try TransformerRegistry.load(directory: try TinyTransformers.llama(in: folder, vocabulary: 600))
        refused(["student_model": folder.path], models: [folder.path: Model(transformer: other)], ["600", "540", "tokenizer"])
        // An MLP student on a decoder, and an LM student on an MLP.
        do {
            try Self.method(["student": "mlp:4,2"]).checkTransformerSupport()
            Issue.record("an MLP student was accepted for a transformer")
        } catch let error as ConfigError { #expect(error.description.contains("student=layers:K")) }
        #expect(throws: ConfigError.self) {
            try Self.method(["student": "layers:1"]).validate(try TeacherFixture.model(), context: text)
        }
    }
}
