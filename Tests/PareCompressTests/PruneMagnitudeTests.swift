import Testing
@testable import PareCompress
import PareNN
import PareTensor

@Suite struct PruneMagnitudeTests {
    @Test func perLayerHalfOnTheTeacherZeroesTorchsCounts() throws {
        let teacher = try PruningFixture.teacher()
        let method = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.5"])
        let result = try method.compress(teacher, context: CompressionContext())
        #expect(PruningFixture.zeros(result.model) == [8192, 16384, 640])
        // Stored honestly: half the values plus a bitmask.
        #expect(result.model.layers[0].weight.encodingName == "sparse-bitmask")
        #expect(result.model.layers[0].weight.storedBytes == 16384 / 8 + 4 * 8192)
        #expect(method.config == ["amount": .double(0.5), "scope": .string("layer"), "layers": .string("all"),
                                  "schedule": .string("oneshot"), "steps": .int(1), "finetune_epochs": .int(0),
                                  "lr": .double(1e-3), "batch_size": .int(64)])
        // The survivors are the largest magnitudes, unchanged.
        let before = teacher.layers[2].weight.decoded(), after = result.model.layers[2].weight.decoded()
        let smallestKept = zip(before.data, after.data).filter { $1 != 0 }.map { abs($0.0) }.min()!
        let largestPruned = zip(before.data, after.data).filter { $1 == 0 }.map { abs($0.0) }.max()!
        #expect(smallestKept > largestPruned)
        #expect(zip(before.data, after.data).allSatisfy { $1 == 0 || $0 == $1 })
    }

    @Test func globalScopeMatchesGlobalUnstructured() throws {
        // numpy on the fixture: k = round(0.5 · 50432) = 25216 smallest |w| across fc1..fc3
        // fall 5994 / 18814 / 408 per layer (no ties at the cut, so PyTorch agrees exactly).
        let teacher = try PruningFixture.teacher()
        let half = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.5", "scope": "global"])
        #expect(PruningFixture.zeros(try half.compress(teacher, context: .init()).model) == [5994, 18814, 408])
        let ninety = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.9", "scope": "global"])
        #expect(PruningFixture.zeros(try ninety.compress(teacher, context: .init()).model) == [13481, 30895, 1013])
    }

    @Test func thresholdAndLayerSelection() throws {
        let teacher = try PruningFixture.teacher()
        // numpy: (|w| < 0.05).sum() per layer = 5188, 16401, 347.
        let all = try PruningFixture.method(MagnitudePruning.self, ["threshold": "0.05"])
        #expect(PruningFixture.zeros(try all.compress(teacher, context: .init()).model) == [5188, 16401, 347])
        #expect(all.config["threshold"] == .double(0.05))
        let some = try PruningFixture.method(MagnitudePruning.self, ["threshold": "0.05", "layers": "fc1,fc3"])
        #expect(PruningFixture.zeros(try some.compress(teacher, context: .init()).model) == [5188, 0, 347])
        let fc2 = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.3", "layers": "fc2"])
        let model = try fc2.compress(teacher, context: .init()).model
        #expect(PruningFixture.zeros(model) == [0, 9830, 0])
        #expect(model.layers[0].weight is DenseWeight)
    }

    @Test func masksForAGPNeverRegrow() throws {
        // AGP calls masks(for:sparsity:) on the already pruned model at rising targets.
        var model = try PruningFixture.teacher()
        let method = try PruningFixture.method(MagnitudePruning.self, [:])
        var previous: [Tensor?] = []
        for target in AGPSchedule.sparsities(steps: 3, final: 0.75) {
            let masks = try method.masks(for: model, sparsity: target, context: .init())
            for (old, new) in zip(previous, masks) {
                #expect(zip(old!.data, new!.data).allSatisfy { $0 == 1 || $1 == 0 })
            }
            model = Pruning.applying(masks, to: model)
            previous = masks
        }
        #expect(PruningFixture.zeros(model) == [12288, 24576, 960])
    }

    @Test(arguments: [
        (["amount": "1"], "amount=1 is out of range"),
        (["amount": "-0.1"], "amount=-0.1 is out of range"),
        (["threshold": "-1"], "threshold=-1 is out of range"),
        (["amount": "0.5", "threshold": "0.1"], "not both"),
        (["scope": "model"], "scope must be one of layer, global"),
        (["amout": "0.5"], "has no setting 'amout'"),
    ])
    func badSettingsAreOneClearSentence(values: [String: String], message: String) {
        #expect {
            _ = try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: values))
        } throws: { error in
            (error as? ConfigError)?.description.contains(message) == true
        }
    }

    @Test func unknownLayerIsNamed() throws {
        let method = try PruningFixture.method(MagnitudePruning.self, ["layers": "fc1,fc9"])
        #expect {
            _ = try method.compress(try PruningFixture.teacher(), context: .init())
        } throws: { error in
            (error as? ConfigError)?.description.contains("no layer 'fc9'") == true
        }
    }
}
