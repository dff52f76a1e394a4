import PareNN
import PareTensor
import Testing
@testable import PareCompress

/// Pruning and quantization chained, in both orders, on the digits teacher.
@Suite struct PruneQuantOrderTests {
    static func prune(_ model: Model, _ method: String = "prune-magnitude", _ values: [String: String] = ["amount": "0.5"]) throws -> Model {
        try Methods.make(method, settings: values).compress(model, context: CompressionContext(calibration: QuantFixtures.calibration)).model
    }

    @Test func quantizingAPrunedModelKeepsItsZeros() throws {
        let pruned = try Self.prune(QuantFixtures.teacher)
        for method in ["quant-weight", "quant-gptq"] {
            let quantized = try QuantFixtures.run(method, ["bits": "4"], model: pruned)
            for (p, q) in zip(pruned.layers, quantized.layers) {
                #expect(q.weight is SparseQuantizedWeight, "\(method) \(q.name): \(q.weight.encodingName)")
                let before = p.weight.decoded(), after = q.weight.decoded()
                for i in 0..<before.count where before.data[i] == 0 { #expect(after.data[i] == 0) }
                #expect(q.weight.storedBytes < p.weight.storedBytes)
            }
            #expect(QuantFixtures.accuracy(quantized, QuantFixtures.test) > 0.9)
        }
    }

    @Test func maskPruningKeepsAQuantizedLayerQuantized() throws {
        let quantized = try QuantFixtures.run("quant-weight", ["bits": "4"])
        let pruned = try Self.prune(quantized)
        for (q, p) in zip(quantized.layers, pruned.layers) {
            #expect(p.weight is SparseQuantizedWeight, "\(p.name): \(p.weight.encodingName)")
            let before = q.weight.decoded(), after = p.weight.decoded()
            // Kept weights keep their quantized values; about half are now zero.
            for i in 0..<after.count where after.data[i] != 0 { #expect(after.data[i] == before.data[i]) }
            #expect(after.nonzeroCount <= after.count / 2 + 1)
        }
    }

    @Test func rewritingPrunersRejectQuantizedLayers() throws {
        let quantized = try QuantFixtures.run("quant-weight", ["bits": "8"])
        #expect(throws: ConfigError.self) { try Self.prune(quantized, "prune-sparsegpt", ["amount": "0.5"]) }
        #expect(throws: ConfigError.self) { try Self.prune(quantized, "prune-structured", ["amount": "0.5"]) }
        #expect(throws: ConfigError.self) { try StageOrder.check(["quant-weight", "prune-sparsegpt"]) }
        #expect(throws: ConfigError.self) { try StageOrder.check(["quant-static", "prune-magnitude"]) }
        try StageOrder.check(["quant-weight", "prune-magnitude"])
        try StageOrder.check(["prune-sparsegpt", "quant-gptq"])
    }
}
