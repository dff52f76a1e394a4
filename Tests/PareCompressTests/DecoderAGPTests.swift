import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// AGP on the tiny Llama: `prune-magnitude schedule=agp finetune_steps=k` prunes to Zhu & Gupta's
/// cubic targets (computed by hand here), each step's zeros contain the last step's (no weight
/// regrows while fine-tuning in between), the fine-tuning really trains, and the curves are
/// recorded; the MLP's settings are refused on a decoder and the decoder's on an MLP.
@Suite struct DecoderAGPTests {
    static let windows = DecoderQATTests.windows

    static func method(_ values: [String: String]) throws -> MagnitudePruning {
        try MagnitudePruning(settings: Settings(method: MagnitudePruning.name, values: values))
    }

    /// Zero positions of every block Linear.
    static func zeros(_ model: Model) -> [String: Set<Int>] {
        Dictionary(uniqueKeysWithValues: model.layers.filter { $0.name != "lm_head" }.map { l in
            (l.name, Set(l.weight.decoded().data.indices.filter { l.weight.decoded().data[$0] == 0 }))
        })
    }

    @Test func sparsityFollowsTheCubicScheduleAndMasksAreNested() throws {
        let model = Model(transformer: .decoder(try DecoderQATTests.decoder()))
        let method = try Self.method(["amount": "0.6", "schedule": "agp", "steps": "3", "finetune_steps": "2", "lr": "0.003"])
        let context = CompressionContext(trainingText: DecoderQATTests.text(Self.windows))
        try method.validate(model, context: context)
        try method.checkTransformerSupport()
        // s_t = 0.6·(1 − (1 − t/3)³): 0.6·19/27, 0.6·26/27, 0.6.
        let targets = [0.6 * 19 / 27, 0.6 * 26 / 27, 0.6]
        var seen: [[String: Set<Int>]] = []
        var asked: [Double] = []
        let selected = try method.layers.indices(in: model, method: MagnitudePruning.name)
        let result = try GradualPruning.run(model, schedule: method.schedule, target: 0.6, selected: selected,
                                            context: context, method: MagnitudePruning.name) { current, sparsity in
            seen.append(Self.zeros(current))
            asked.append(sparsity)
            return try method.masks(for: current, sparsity: sparsity, context: context)
        }
        seen.append(Self.zeros(result.model))
        #expect(zip(asked, targets).allSatisfy { abs($0 - $1) < 1e-12 }, "\(asked)")
        #expect(result.curves.filter { $0.key == "schedule_sparsity" }.map(\.value) == asked)
        // The model each step starts from holds the previous step's zeros, and its own count.
        for (t, target) in targets.enumerated() {
            for (path, zeros) in seen[t + 1] {
                #expect(seen[t][path]!.isSubset(of: zeros), "step \(t + 1): \(path) regrew a pruned weight")
                let count = model.layers.first { $0.name == path }!.weight.parameterCount
                #expect(zeros.count == Pruning.prunedCount(amount: target, of: count), "step \(t + 1): \(path) has \(zeros.count) zeros")
            }
        }
        // Fine-tuning between the steps trained the kept weights (3 × 2 Adam steps).
        #expect(result.curves.filter { $0.key == "train_loss" }.map(\.step) == Array(1...6))
        let first = model.layers[0].weight.decoded().data, last = result.model.layers[0].weight.decoded().data
        let kept = first.indices.filter { last[$0] != 0 }
        #expect(kept.contains { first[$0] != last[$0] })
        #expect(result.model.layers[0].weight.encodingName != "dense")
        #expect(result.notes[0].contains("3 pruning step(s)") && result.notes[0].contains("2 fine-tune step(s)"))
    }

    @Test func theRecordedScheduleAndItsRefusals() throws {
        let config = try Self.method(["amount": "0.5", "schedule": "agp", "steps": "4", "finetune_steps": "3"]).config
        #expect(config["finetune_steps"] == .int(3) && config["lr"] == .double(1e-4) && config["batch_size"] == .int(1)
                && config["finetune_epochs"] == nil && config["steps"] == .int(4))
        // The MLP's config is as before.
        let mlp = try Self.method(["amount": "0.5", "schedule": "agp"]).config
        #expect(mlp["finetune_epochs"] == .int(2) && mlp["lr"] == .double(1e-3) && mlp["batch_size"] == .int(64) && mlp["finetune_steps"] == nil)
        #expect(throws: ConfigError.self) { _ = try Self.method(["schedule": "agp", "finetune_steps": "2", "finetune_epochs": "1"]) }
        #expect(throws: ConfigError.self) { _ = try Self.method(["schedule": "agp", "finetune_steps": "0"]) }
        let decoder = Model(transformer: .decoder(try DecoderQATTests.decoder()))
        #expect(throws: ConfigError.self) { try Self.method(["schedule": "agp", "finetune_epochs": "1"]).checkTransformerSupport() }
        #expect(throws: ConfigError.self) { try Self.method(["schedule": "agp", "finetune_steps": "2"]).validate(decoder, context: CompressionContext()) }
        #expect(throws: ConfigError.self) { try Self.method(["schedule": "agp", "finetune_steps": "2"]).validate(QuantFixtures.teacher, context: CompressionContext()) }
        #expect(throws: ConfigError.self) {
            try WandaPruning(settings: Settings(method: WandaPruning.name, values: ["schedule": "agp", "finetune_steps": "2"])).checkTransformerSupport()
        }
    }
}
