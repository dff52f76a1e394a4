import Testing
@testable import PareCompress
import PareNN
import PareTensor

/// Gradual pruning (`schedule=agp`, fine-tuning with fixed masks). Kept cheap for debug builds:
/// fine-tuning runs on a small MLP or a few hundred digits rows.
@Suite struct GradualPruningTests {
    /// A 64→32→10 ReLU MLP briefly trained on digits: cheap to fine-tune many times.
    static let small: Model = {
        var net = TrainableMLP(dims: [64, 32, 10], activation: .relu, seed: 3)
        Trainer.train(&net, on: try! PruningFixture.digits("digits_train.csv", limit: 400), config: TrainingConfig(epochs: 3, learningRate: 3e-3))
        return net.model()
    }()

    static func context(rows: Int) throws -> CompressionContext {
        CompressionContext(training: try PruningFixture.digits("digits_train.csv", limit: rows), seed: 1)
    }

    @Test func agpMasksNeverRegrowAndPrunedWeightsStayExactlyZeroAfterFineTuning() throws {
        let method = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.8", "schedule": "agp", "steps": "3", "finetune_epochs": "1"])
        var seen: [Model] = []   // the (fine-tuned) model each step's masks are computed on
        let result = try GradualPruning.run(Self.small, schedule: method.schedule, target: 0.8, selected: [0, 1],
                                            context: try Self.context(rows: 300), method: MagnitudePruning.name) { current, s in
            seen.append(current)
            return try method.masks(for: current, sparsity: s, context: .init())
        }
        #expect(seen.count == 3)
        let final = result.model.denseWeights()
        for layer in 0..<2 {
            // After step t's fine-tuning, every weight zero before it is still exactly +0 (bit pattern 0).
            let stages = seen.map { $0.layers[layer].weight.decoded().data } + [final[layer].data]
            for t in 1..<stages.count {
                for i in stages[t].indices where stages[t - 1][i] == 0 && t > 1 {
                    #expect(stages[t][i].bitPattern == 0)
                }
            }
            // Fine-tuning really ran: the surviving weights moved.
            #expect(zip(Self.small.layers[layer].weight.decoded().data, final[layer].data).contains { $1 != 0 && $0 != $1 })
        }
        #expect(result.curves.filter { $0.key == "finetune_loss" }.map(\.step) == [1, 2, 3])
        #expect(result.curves.filter { $0.key == "finetune_accuracy" }.count == 3)
    }

    @Test func masksAreUnitedSoAPrunerThatWouldRegrowCannot() throws {
        // A pruner whose masks do not nest: step 1 prunes the first half of fc1, step 2 the second.
        let schedule = PruningSchedule(kind: .agp, steps: 2, finetuneEpochs: 0)
        let n = Self.small.layers[0].weight.parameterCount
        let result = try GradualPruning.run(Self.small, schedule: schedule, target: 0.5, selected: [0],
                                            context: .init(), method: "test") { current, s in
            let firstHalf = s < 0.5
            let keep = (0..<n).map { firstHalf ? $0 >= n / 2 : $0 < n / 2 }
            return [Pruning.maskTensor(keep, shape: current.layers[0].weight.decoded().shape), nil]
        }
        #expect(result.model.layers[0].weight.nonzeroCount == 0)
    }

    @Test func finalSparsityEqualsTheTargetAndStepsFollowTheCubic() throws {
        let teacher = try PruningFixture.teacher()
        let method = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.8", "schedule": "agp", "steps": "4", "finetune_epochs": "0"])
        var perStep: [[Int]] = []
        _ = try GradualPruning.run(teacher, schedule: method.schedule, target: 0.8, selected: [0, 1, 2],
                                   context: .init(), method: MagnitudePruning.name) { current, s in
            let masks = try method.masks(for: current, sparsity: s, context: .init())
            perStep.append(masks.map { $0!.data.filter { $0 == 0 }.count })
            return masks
        }
        // s_t = 0.8 − 0.8·(1 − t/4)³: 0.4625, 0.7, 0.7875, 0.8 of each layer's 16384 / 32768 / 1280.
        let targets = [0.4625, 0.7, 0.7875, 0.8]
        #expect(perStep == targets.map { s in [16384, 32768, 1280].map { Pruning.prunedCount(amount: s, of: $0) } })
        let result = try method.compress(teacher, context: .init())
        #expect(PruningFixture.zeros(result.model) == [13107, 26214, 1024])
        #expect(abs(result.extraMetrics["sparsity"]! - Double(13107 + 26214 + 1024) / 50432) < 1e-12)
        let curve = result.curves.filter { $0.key == "schedule_sparsity" }
        #expect(curve.map(\.step) == [1, 2, 3, 4])
        for (a, b) in zip(curve.map(\.value), targets) { #expect(abs(a - b) < 1e-12) }
        #expect(result.model.layers[1].weight.encodingName != "dense")
    }

    @Test func fineTunedFinalSparsityEqualsTheTarget() throws {
        let method = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.75", "schedule": "agp", "steps": "2", "finetune_epochs": "1"])
        let result = try method.compress(Self.small, context: try Self.context(rows: 200))
        #expect(PruningFixture.zeros(result.model) == [1536, 240])
        #expect(result.extraMetrics["sparsity"] == 0.75)
    }

    @Test func fineTuningRecoversAccuracyAtHighSparsity() throws {
        // Teacher at 90 %: one-shot magnitude pruning drops from 0.978 to 0.606 on the 360 test rows;
        // two AGP steps with one fine-tune epoch each on only 400 training rows reach 0.747
        // (0.825 on all 1,437 rows; the defaults, 5 steps × 2 epochs, 0.964).
        let teacher = try PruningFixture.teacher()
        let test = try PruningFixture.digits("digits_test.csv")
        let oneShot = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.9"])
        let agp = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.9", "schedule": "agp", "steps": "2", "finetune_epochs": "1"])
        let before = PruningFixture.accuracy(try oneShot.compress(teacher, context: .init()).model, on: test)
        let result = try agp.compress(teacher, context: try Self.context(rows: 400))
        let after = PruningFixture.accuracy(result.model, on: test)
        print("prune-magnitude 0.9 on the teacher: one-shot \(before), agp 2 steps × 1 epoch (400 rows) \(after)")
        #expect(after > before + 0.1)
        #expect(PruningFixture.zeros(result.model) == [14746, 29491, 1152])
    }

    @Test func oneShotWithFineTuningKeepsTheMask() throws {
        let method = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.5", "finetune_epochs": "1"])
        let plain = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.5"])
        let tuned = try method.compress(Self.small, context: try Self.context(rows: 200)).model
        let pruned = try plain.compress(Self.small, context: .init()).model
        for layer in 0..<2 {
            let a = pruned.layers[layer].weight.decoded().data, b = tuned.layers[layer].weight.decoded().data
            #expect(zip(a, b).allSatisfy { ($0 == 0) == ($1 == 0) })
        }
    }

    @Test func configRecordsEveryOption() throws {
        let agp = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.9", "schedule": "agp"])
        #expect(agp.config == ["amount": .double(0.9), "scope": .string("layer"), "layers": .string("all"),
                               "schedule": .string("agp"), "steps": .int(5), "finetune_epochs": .int(2),
                               "lr": .double(1e-3), "batch_size": .int(64)])
        let oneShot = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.5", "finetune_epochs": "1", "lr": "0.0005", "batch_size": "32"])
        #expect(oneShot.config["schedule"] == .string("oneshot") && oneShot.config["steps"] == .int(1)
                && oneShot.config["finetune_epochs"] == .int(1) && oneShot.config["lr"] == .double(0.0005)
                && oneShot.config["batch_size"] == .int(32))
        let wanda = try PruningFixture.method(WandaPruning.self, ["amount": "0.5", "schedule": "agp", "steps": "3"])
        #expect(wanda.config["steps"] == .int(3) && wanda.config["finetune_epochs"] == .int(2))
    }

    @Test func wandaPrunesGraduallyToItsPerRowTarget() throws {
        let wanda = try PruningFixture.method(WandaPruning.self, ["amount": "0.5", "schedule": "agp", "steps": "3", "finetune_epochs": "1"])
        let data = try PruningFixture.digits("digits_train.csv", limit: 200)
        let result = try wanda.compress(Self.small, context: CompressionContext(calibration: data, training: data))
        // floor(0.5 · in) per output row: 32 of fc1's 64 inputs, 16 of fc2's 32.
        #expect(PruningFixture.zeros(result.model) == [32 * 32, 10 * 16])
    }

    @Test func badInputsAreConfigErrors() throws {
        func rejects(_ values: [String: String], mentioning word: String) {
            #expect { _ = try PruningFixture.method(MagnitudePruning.self, values) } throws: { error in
                (error as? ConfigError)?.description.contains(word) == true
            }
        }
        rejects(["amount": "0.9", "schedule": "agp", "steps": "0"], mentioning: "steps")
        rejects(["amount": "0.9", "finetune_epochs": "-1"], mentioning: "finetune_epochs")
        rejects(["amount": "0.9", "schedule": "cubic"], mentioning: "schedule")
        rejects(["amount": "0.9", "steps": "3"], mentioning: "schedule=agp")
        rejects(["threshold": "0.1", "schedule": "agp"], mentioning: "amount")
        rejects(["amount": "0.9", "lr": "0"], mentioning: "lr")
        rejects(["amount": "0.9", "batch_size": "0"], mentioning: "batch_size")
        let agp = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.9", "schedule": "agp"])
        #expect { _ = try agp.compress(Self.small, context: .init()) } throws: { error in
            (error as? ConfigError)?.description.contains("needs --train data for fine-tuning") == true
        }
        let wrongWidth = Dataset(name: "narrow", features: Tensor(zeros: [4, 3]), labels: [0, 1, 2, 3], classCount: 4)
        #expect(throws: ConfigError.self) { _ = try agp.compress(Self.small, context: CompressionContext(training: wrongWidth)) }
    }
}
