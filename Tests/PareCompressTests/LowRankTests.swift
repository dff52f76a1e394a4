import Foundation
import Testing
import PareNN
import PareTensor
@testable import PareCompress
import PareTestSupport

/// Deterministic uniform values in [-1, 1) (SplitMix64, 53-bit draws rounded to Float).
func lrRandom(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed)
    return (0..<count).map { _ in Float(rng.uniformDouble()) }
}

func lrMatrix(_ m: Int, _ n: Int, seed: UInt64) -> Tensor {
    Tensor(shape: [m, n], data: lrRandom(m * n, seed: seed))
}

/// x·Wᵀ in Double, W [out, in].
func explicitLinear(_ x: Tensor, _ w: Tensor) -> [Double] {
    let b = x.rows, n = x.columns, m = w.rows
    var y = [Double](repeating: 0, count: b * m)
    for r in 0..<b { for o in 0..<m {
        var s = 0.0
        for i in 0..<n { s += Double(x.data[r * n + i]) * Double(w.data[o * n + i]) }
        y[r * m + o] = s
    } }
    return y
}

/// A·B in Double as Float, A [m, k], B [k, n].
func explicitProduct(_ a: Tensor, _ b: Tensor) -> Tensor {
    let m = a.rows, k = a.columns, n = b.columns
    var out = Tensor(zeros: [m, n])
    for i in 0..<m { for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += Double(a.data[i * k + p]) * Double(b.data[p * n + j]) }
        out.data[i * n + j] = Float(s)
    } }
    return out
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func smallModel() -> Model {
    Model(layers: [
        LinearLayer(name: "fc1", weight: DenseWeight(lrMatrix(16, 8, seed: 1)), bias: lrRandom(16, seed: 2)),
        LinearLayer(name: "fc2", weight: DenseWeight(lrMatrix(12, 16, seed: 3)), bias: lrRandom(12, seed: 4)),
        LinearLayer(name: "fc3", weight: DenseWeight(lrMatrix(4, 12, seed: 5)), bias: nil),
    ], activation: .relu)
}

@Suite struct LowRankWeightTests {
    @Test func roundTripThroughRegistry() throws {
        let weight = LowRankWeight(factoring: lrMatrix(10, 7, seed: 9), rank: 3)
        let stored = weight.encoded()
        #expect(stored.encoding == "lowrank")
        #expect(stored.shape == [10, 7])
        #expect(stored.meta["rank"] == "3")
        #expect(stored.payload.count == 4 * 3 * (10 + 7))
        let decoded = try WeightEncodings.decode(stored)
        let back = try #require(decoded as? LowRankWeight)
        #expect(back.left == weight.left)
        #expect(back.right == weight.right)
        #expect(back.outFeatures == 10 && back.inFeatures == 7)
    }

    @Test func malformedStoredFormIsRejected() {
        var stored = LowRankWeight(factoring: lrMatrix(6, 5, seed: 1), rank: 2).encoded()
        var noRank = stored
        noRank.meta = [:]
        #expect(throws: EncodingError.self) { try LowRankWeight(decoding: noRank) }
        stored.payload.removeLast()
        #expect(throws: EncodingError.self) { try LowRankWeight(decoding: stored) }
    }

    @Test func factorsSplitSigmaEvenlyAndFullRankReconstructs() {
        let w = lrMatrix(9, 6, seed: 11)
        let svd = SVD(w)
        let full = LowRankWeight(svd: svd, rank: 6)
        #expect(relative(full.decoded(), w) < 1e-5)
        // U_k = U·Σ^½: column i of `left` has norm √σ_i, row i of `right` too.
        let k = 3
        let weight = LowRankWeight(svd: svd, rank: k)
        for i in 0..<k {
            let leftNorm = (0..<9).reduce(0.0) { $0 + Double(weight.left[$1, i] * weight.left[$1, i]) }.squareRoot()
            let rightNorm = (0..<6).reduce(0.0) { $0 + Double(weight.right[i, $1] * weight.right[i, $1]) }.squareRoot()
            #expect(abs(leftNorm - svd.singularValues[i].squareRoot()) < 1e-5)
            #expect(abs(rightNorm - svd.singularValues[i].squareRoot()) < 1e-5)
        }
        // Eckart–Young: the rank-k error is the energy of the dropped singular values.
        let dropped = svd.singularValues[k...].reduce(0) { $0 + $1 * $1 }.squareRoot()
        let error = zip(weight.decoded().data, w.data).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        #expect(abs(error - dropped) / dropped < 1e-4)
    }

    @Test func forwardEqualsFactorsAppliedExplicitly() {
        let weight = LowRankWeight(factoring: lrMatrix(12, 20, seed: 3), rank: 4)
        let x = lrMatrix(5, 20, seed: 4)
        let y = weight.forward(x)
        #expect(y.shape == [5, 12])
        let expected = explicitLinear(x, explicitProduct(weight.left, weight.right))
        #expect(maxAbsDifference(y.data.map(Double.init), expected) < 1e-4)
        #expect(weight.flopsPerSample == 2 * 4 * (12 + 20))
        #expect(weight.parameterCount == 4 * 32)
    }

    @Test func exportNamesAndInverse() throws {
        let weight = LowRankWeight(factoring: lrMatrix(8, 6, seed: 2), rank: 2)
        let tensors = LowRankExport.tensors(layer: "fc1", weight: weight)
        #expect(tensors.map(\.name) == ["fc1.0.weight", "fc1.1.weight"])
        #expect(tensors[0].tensor.shape == [2, 6])
        #expect(tensors[1].tensor.shape == [8, 2])
        #expect(LowRankExport.tensorNames(layer: "fc1").bias == "fc1.1.bias")
        let metadata = LowRankExport.metadata([("fc1", 2), ("fc2", 5)])
        #expect(metadata == ["lowrank": "fc1:2,fc2:5"])
        let layers = try LowRankExport.factoredLayers(metadata: metadata)
        #expect(layers.map(\.layer) == ["fc1", "fc2"] && layers.map(\.rank) == [2, 5])
        #expect(try LowRankExport.factoredLayers(metadata: [:]).isEmpty)
        #expect(throws: EncodingError.self) { try LowRankExport.factoredLayers(metadata: ["lowrank": "fc1"]) }

        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        let back = try #require(try LowRankExport.weight(layer: "fc1", tensors: byName, rank: 2))
        #expect(back.left == weight.left && back.right == weight.right)
        #expect(try LowRankExport.weight(layer: "fc2", tensors: byName) == nil)
        #expect(throws: EncodingError.self) { try LowRankExport.weight(layer: "fc1", tensors: byName, rank: 3) }
        let mismatched = ["fc1.0.weight": Tensor(zeros: [3, 6]), "fc1.1.weight": Tensor(zeros: [8, 2])]
        #expect(throws: EncodingError.self) { try LowRankExport.weight(layer: "fc1", tensors: mismatched) }
    }
}

func relative(_ a: Tensor, _ b: Tensor) -> Double {
    var d = 0.0, n = 0.0
    for i in a.data.indices {
        d += Double(a.data[i] - b.data[i]) * Double(a.data[i] - b.data[i])
        n += Double(b.data[i]) * Double(b.data[i])
    }
    return (d / n).squareRoot()
}

@Suite struct LowRankMethodTests {
    func method(_ values: [String: String]) throws -> LowRankSVD {
        try LowRankSVD(settings: Settings(method: "lowrank-svd", values: values))
    }

    @Test func settingsAndDefault() throws {
        #expect(try method([:]).rule == .energy(0.9))
        #expect(try method([:]).config == ["energy": .double(0.9), "layers": .string("all"), "finetune_epochs": .int(0)])
        #expect(try method(["rank": "3"]).rule == .rank(3))
        #expect(try method(["ratio": "0.25", "layers": "fc1"]).config == ["ratio": .double(0.25), "layers": .string("fc1"), "finetune_epochs": .int(0)])
        #expect(try method(["energy": "1"]).rule == .energy(1))
    }

    @Test(arguments: [["rank": "0"], ["ratio": "0"], ["ratio": "1.5"], ["energy": "0"], ["energy": "-0.1"],
                      ["energy": "1.01"], ["rank": "2", "energy": "0.9"], ["rnak": "2"], ["rank": "two"]])
    func badSettingsAreRejected(values: [String: String]) {
        #expect(throws: ConfigError.self) { try method(values) }
    }

    @Test func rankAboveLayerSizeNamesTheLayer() throws {
        let error = #expect(throws: ConfigError.self) {
            try method(["rank": "9"]).compress(smallModel(), context: CompressionContext())
        }
        #expect(error?.description.contains("fc1") == true)
    }

    @Test func ratioRuleAndDenseNote() throws {
        // fc1 [16, 8]: mn/(m+n) = 5.33 → ratio 0.5 gives k = 2; fc3 [4, 12]: 3 → k = 1.
        #expect(try LowRankSVD.rank(for: .ratio(0.5), layer: "fc1", rows: 16, columns: 8, singularValues: { [] }) == 2)
        #expect(try LowRankSVD.rank(for: .ratio(0.01), layer: "fc1", rows: 16, columns: 8, singularValues: { [] }) == 1)
        #expect(LowRankSVD.breakEvenRank(rows: 16, columns: 8) == 5)
        #expect(LowRankSVD.breakEvenRank(rows: 4, columns: 12) == 2)   // 3·16 = 48 = 4·12: no gain at 3
        // rank=3: fc1 (3·24 = 72 < 128) and fc2 (3·28 < 192) factor; fc3 (3·16 = 48 = 48) stays dense.
        let result = try method(["rank": "3"]).compress(smallModel(), context: CompressionContext())
        #expect(result.model.layers[0].weight is LowRankWeight)
        #expect(result.model.layers[1].weight is LowRankWeight)
        #expect(result.model.layers[2].weight is DenseWeight)
        #expect(result.notes.contains { $0.hasPrefix("fc3 left dense") })
        #expect(result.extraMetrics["layers_factored"] == 2)
    }

    @Test func energyRuleOnHandMadeSpectrum() throws {
        // A [8, 10] layer with singular values 3, 2, 1, 1 (σ² = 9, 4, 1, 1): energy 0.9 → k = 3.
        var w = Tensor(zeros: [8, 10])
        for (i, s) in [Float(3), 2, 1, 1].enumerated() { w[i, i + 1] = s }
        let model = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(w), bias: nil)], activation: .relu)
        let factored = try method(["energy": "0.9"]).compress(model, context: CompressionContext())
        let weight = try #require(factored.model.layers[0].weight as? LowRankWeight)
        #expect(weight.rank == 3)
        #expect(abs(try #require(factored.extraMetrics["energy_retained_min"]) - 14.0 / 15.0) < 1e-6)
        let half = try method(["energy": "0.6"]).compress(model, context: CompressionContext())
        #expect((half.model.layers[0].weight as? LowRankWeight)?.rank == 1)
    }

    @Test func layerSelection() throws {
        let result = try method(["rank": "2", "layers": "fc2"]).compress(smallModel(), context: CompressionContext())
        #expect(result.model.layers[0].weight is DenseWeight)
        #expect((result.model.layers[1].weight as? LowRankWeight)?.rank == 2)
        #expect(throws: ConfigError.self) {
            try method(["rank": "2", "layers": "fc9"]).compress(smallModel(), context: CompressionContext())
        }
    }

    @Test func factoredModelEqualsUVAppliedExplicitly() throws {
        let base = smallModel()
        let result = try method(["ratio": "0.6"]).compress(base, context: CompressionContext())
        let x = lrMatrix(6, 8, seed: 77)
        let logits = result.model.forward(x)
        // The same network with each weight replaced by the explicit product U_k·V_k.
        var h = x
        for (index, layer) in result.model.layers.enumerated() {
            let w: Tensor
            if let lowRank = layer.weight as? LowRankWeight {
                w = explicitProduct(lowRank.left, lowRank.right)
            } else {
                w = layer.weight.decoded()
            }
            var y = explicitLinear(h, w)
            if let bias = layer.bias { for r in 0..<h.rows { for o in 0..<w.rows { y[r * w.rows + o] += Double(bias[o]) } } }
            h = Tensor(shape: [h.rows, w.rows], data: y.map { Float($0) })
            if index < result.model.layers.count - 1 { result.model.activation.apply(&h) }
        }
        #expect(maxAbsDifference(logits.data.map(Double.init), h.data.map(Double.init)) < 1e-4)
        // The base model is untouched.
        #expect(base.layers.allSatisfy { $0.weight is DenseWeight })
        #expect(result.model.layers.contains { $0.weight is LowRankWeight })
    }
}
