import Foundation
import Testing
import PareNN
import PareTensor
@testable import PareCompress

/// The `distill` method on the digits fixtures: a tiny student, a few epochs (fast in debug).
@Suite struct DistillMethodTests {
    static let train: Dataset = try! PruningFixture.digits("digits_train.csv", limit: 600)

    func method(_ settings: [String: String]) throws -> Distill {
        try Distill(settings: Settings(method: "distill", values: settings))
    }

    func context(seed: UInt64 = 3, models: [String: Model] = [:]) -> CompressionContext {
        CompressionContext(training: Self.train, seed: seed, models: models)
    }

    func curve(_ result: CompressionResult, _ key: String) -> [Double] {
        result.curves.filter { $0.key == key }.sorted { $0.step < $1.step }.map(\.value)
    }

    @Test func distillsAndRecordsCurves() throws {
        let teacher = try TeacherFixture.model()
        let kd = try method(["student": "mlp:64,16,10", "epochs": "4"])
        #expect(kd.config["temperature"] == .double(4) && kd.config["alpha"] == .double(0.9))
        #expect(kd.config["teachers"] == .string("base") && kd.config["role"] == .string("distill"))
        let result = try kd.compress(teacher, context: context())
        #expect(result.model.dims == [64, 16, 10])
        #expect(result.model.activation == teacher.activation)
        let loss = curve(result, "distill_loss"), accuracy = curve(result, "train_accuracy")
        #expect(loss.count == 4 && accuracy.count == 4)
        #expect(loss.last! < loss.first!)
        #expect(accuracy.last! > accuracy.first!)
        #expect(result.extraMetrics["teacher_train_accuracy"]! > 0.95)
    }

    /// α = 0 (and T = 1) is plain cross-entropy: the very same weights as the baseline.
    @Test func alphaZeroIsTheBaseline() throws {
        let teacher = try TeacherFixture.model()
        let kd = try method(["student": "mlp:64,16,10", "epochs": "2", "alpha": "0", "temperature": "1"])
        let alone = try #require(kd.baseline)
        #expect(alone.config["role"] == .string("baseline") && alone.config["alpha"] == .double(0))
        #expect(alone.config["temperature"] == nil && alone.config["student"] == .string("mlp:64,16,10"))
        let a = try kd.compress(teacher, context: context())
        let b = try alone.compress(teacher, context: context())
        #expect(a.model.denseWeights() == b.model.denseWeights())
        #expect(a.model.layers.map(\.bias) == b.model.layers.map(\.bias))
        #expect(curve(b, "train_loss").count == 2)
    }

    /// The distillation loss hook with α = 0 trains as the built-in cross-entropy does (the
    /// two compute softmax in different precisions, so close, not bit-equal).
    @Test func hookWithAlphaZeroMatchesCrossEntropy() throws {
        let loss = try DistillationLoss(temperature: 1, alpha: 0)
        let q = Tensor(zeros: [Self.train.rowCount, 10])
        var hooks = TrainingHooks()
        hooks.loss = { logits, batch in
            let r = loss.lossAndGradient(student: logits, softTargets: gatherRows(q, batch), labels: batch.map { Self.train.labels[$0] })
            return (loss: r.loss, dLogits: r.gradient)
        }
        var a = TrainableMLP(dims: [64, 16, 10], activation: .relu, seed: 5)
        var b = a
        let config = TrainingConfig(epochs: 2, seed: 5)
        Trainer.train(&a, on: Self.train, config: config, hooks: hooks)
        Trainer.train(&b, on: Self.train, config: config)
        for (x, y) in zip(a.weights, b.weights) {
            let diff = zip(x.data, y.data).map { abs($0 - $1) }.max()!
            #expect(diff < 1e-4)
        }
    }

    @Test func ensembleOfTwoTeachers() throws {
        let first = try TeacherFixture.model()
        let second = TrainableMLP(dims: [64, 32, 10], activation: .relu, seed: 9).model()
        let models = ["a.safetensors": first, "b.safetensors": second]
        for mode in ["arithmetic", "geometric"] {
            let kd = try method(["student": "mlp:64,16,10", "epochs": "1", "teachers": "a.safetensors,b.safetensors", "ensemble": mode])
            #expect(kd.modelPaths == ["a.safetensors", "b.safetensors"])
            #expect(kd.config["ensemble"] == .string(mode))
            let (q, notes, _) = try kd.softTargets(first, training: Self.train, context: context(models: models))
            let expected = Ensemble.softTargets([kd.whiteBoxTargets(first, training: Self.train),
                                                 kd.whiteBoxTargets(second, training: Self.train)],
                                                mode: EnsembleMode(rawValue: mode)!)
            #expect(q == expected)
            #expect(notes.contains { $0.contains("ensemble of 2 teachers") })
            let result = try kd.compress(first, context: context(models: models))
            #expect(curve(result, "distill_loss").count == 1)
        }
        // `base` puts the --model in the ensemble beside a file.
        let withBase = try method(["student": "mlp:64,16,10", "teachers": "base,b.safetensors"])
        #expect(withBase.teachers == [.base, .file("b.safetensors")])
    }

    @Test func featureMatchingTrainsTheProjection() throws {
        let teacher = try TeacherFixture.model()
        let kd = try method(["student": "mlp:64,24,16,10", "epochs": "3", "feature_layer": "fc2", "beta": "0.5"])
        #expect(kd.config["student_feature_layer"] == .string("last_hidden") && kd.config["beta"] == .double(0.5))
        let result = try kd.compress(teacher, context: context())
        let feature = curve(result, "feature_loss")
        #expect(feature.count == 3)
        #expect(feature.last! < feature.first!)
        #expect(result.notes.contains { $0.contains("teacher fc2 (128) ← student fc2 (16)") })
        let first = try method(["student": "mlp:64,24,16,10", "epochs": "1", "feature_layer": "fc1", "student_feature_layer": "fc1"])
        #expect(try first.compress(teacher, context: context()).notes.contains { $0.contains("teacher fc1 (256) ← student fc1 (24)") })
    }

    @Test func badSettingsAreOneSentence() throws {
        let teacher = try TeacherFixture.model()
        func rejected(_ settings: [String: String], _ words: [String], validate: Bool = false) {
            do {
                let kd = try method(settings)
                if validate { try kd.validate(teacher, context: context()) }
                Issue.record("accepted \(settings)")
            } catch {
                let text = String(describing: error)
                for word in words { #expect(text.contains(word), "'\(word)' in: \(text)") }
            }
        }
        rejected(["student": "mlp:64,16,10", "temperature": "0"], ["temperature=0", "greater than 0"])
        rejected(["student": "mlp:64,16,10", "temperature": "-1"], ["temperature=-1"])
        rejected(["student": "mlp:64,16,10", "alpha": "1.5"], ["alpha=1.5", "[0, 1]"])
        rejected(["student": "mlp:64,16,10", "alpha": "-0.1"], ["alpha=-0.1"])
        rejected([:], ["needs a student"])
        rejected(["student": "mlp:64"], ["two positive widths"])
        rejected(["student": "mlp:64,16,10:tanh"], ["unknown activation 'tanh'"])
        rejected(["student": "mlp:32,16,10"], ["student mlp:32,16,10 takes 32 inputs", "takes 64"], validate: true)
        rejected(["student": "mlp:64,16,7"], ["7 outputs", "10 classes"], validate: true)
        rejected(["student": "mlp:64,16,10", "feature_layer": "fc9"], ["no layer 'fc9'", "fc1, fc2"], validate: true)
        rejected(["student": "mlp:64,16,10", "feature_layer": "fc3"], ["output layer"], validate: true)
        rejected(["student": "mlp:64,16,10", "feature_layer": "fc2", "student_feature_layer": "fc7"], ["student has no layer 'fc7'"], validate: true)
        rejected(["student": "mlp:64,16,10", "beta": "1"], ["feature_layer"])
        rejected(["student": "mlp:64,16,10", "teacher_cmd": "/nonexistent/teacher --fast"], ["/nonexistent/teacher"])
        rejected(["student": "mlp:64,16,10", "teacher_cmd": "no-such-teacher-program-xyz"], ["no-such-teacher-program-xyz"])
        rejected(["student": "mlp:64,16,10", "teacher_cmd": "/bin/sh", "feature_layer": "fc2"], ["white-box"])
        rejected(["student": "mlp:64,16,10", "role": "baseline", "temperature": "2"], ["role=baseline", "temperature"])
        rejected(["student": "mlp:64,16,10", "ensemble": "median"], ["ensemble must be one of arithmetic, geometric"])
        rejected(["student": "mlp:64,16,10", "temprature": "2"], ["no setting 'temprature'"])
        let noData = try method(["student": "mlp:64,16,10"])
        #expect(throws: ConfigError.self) { try noData.validate(teacher, context: CompressionContext()) }
    }
}
