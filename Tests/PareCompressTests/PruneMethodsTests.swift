import Foundation
import Testing
@testable import PareCompress
import PareNN
import PareTensor
import PareTestSupport

private func expectConfigError(_ contains: String, _ body: () throws -> Void) {
    #expect {
        try body()
    } throws: { error in
        guard let e = error as? ConfigError else { return false }
        return e.description.contains(contains)
    }
}

private func singleLayer(_ w: Tensor, bias: [Float]? = nil) -> Model {
    Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(w), bias: bias)], activation: .relu)
}

@Suite struct PruneNMTests {
    @Test func everyGroupHoldsExactlyNNonzeros() throws {
        let teacher = try PruningFixture.teacher()
        for (n, m) in [(2, 4), (1, 2), (3, 8)] {
            let method = try PruningFixture.method(NMPruning.self, ["n": "\(n)", "m": "\(m)", "layers": "fc1,fc2"])
            let model = try method.compress(teacher, context: .init()).model
            for layer in model.layers.prefix(2) {
                let w = layer.weight.decoded()
                for g in stride(from: 0, to: w.count, by: m) {
                    #expect(w.data[g..<g + m].filter { $0 != 0 }.count == n)
                }
                // The kept ones are the group's largest magnitudes.
                let original = teacher.layers.first { $0.name == layer.name }!.weight.decoded()
                for g in stride(from: 0, to: w.count, by: m) {
                    let kept = (g..<g + m).filter { w.data[$0] != 0 }.map { abs(original.data[$0]) }
                    let dropped = (g..<g + m).filter { w.data[$0] == 0 }.map { abs(original.data[$0]) }
                    #expect(kept.min()! >= dropped.max()!)
                }
            }
            #expect(model.layers[2].weight is DenseWeight)
        }
    }

    @Test func badNMSettings() throws {
        expectConfigError("n=5 is larger than m=4") { _ = try PruningFixture.method(NMPruning.self, ["n": "5"]) }
        expectConfigError("m=0 is out of range") { _ = try PruningFixture.method(NMPruning.self, ["m": "0"]) }
        // fc3 is 10×128: m=3 divides none of 64, 128; the error names the first layer it fails on.
        let three = try PruningFixture.method(NMPruning.self, ["n": "1", "m": "3"])
        expectConfigError("layer fc1 has 64 inputs, which m=3 does not divide") {
            _ = try three.compress(try PruningFixture.teacher(), context: .init())
        }
        let model = singleLayer(Tensor(zeros: [2, 6]))
        expectConfigError("layer fc1 has 6 inputs, which m=4 does not divide") {
            _ = try PruningFixture.method(NMPruning.self, [:]).compress(model, context: .init())
        }
    }
}

@Suite struct PruneWandaTests {
    // Hand case, checked with numpy: ‖X_j‖₂ = [2.291287847, 0.374165739, 3.741657387,
    // 1.658312395, 0.374165739, 2.449489743]; per row the 3 lowest |W|·‖X‖ are zeroed.
    static let w = Tensor(shape: [4, 6], data: [
        0.5, -1.0, 0.2, 0.8, -0.3, 0.1,
        -0.4, 0.3, 0.9, -0.2, 0.6, -0.7,
        1.2, 0.05, -0.5, 0.4, -0.9, 0.3,
        0.1, -0.6, 0.7, -1.1, 0.2, 0.45,
    ])
    static let x = Tensor(shape: [3, 6], data: [
        1.0, 0.2, 3.0, -0.5, 0.1, 2.0,
        -2.0, 0.1, 1.0, 0.5, -0.2, 1.0,
        0.5, -0.3, 2.0, 1.5, 0.3, -1.0,
    ])
    static let expectedMask: [Float] = [
        1, 0, 1, 1, 0, 0,
        1, 0, 1, 0, 0, 1,
        1, 0, 1, 0, 0, 1,
        0, 0, 1, 1, 0, 1,
    ]

    @Test func handComputed4x6() throws {
        #expect(WandaPruning.mask(weight: Self.w, inputs: Self.x, amount: 0.5).data == Self.expectedMask)
        let calib = Dataset(name: "calib", features: Self.x, labels: [0, 0, 0], classCount: 4)
        let method = try PruningFixture.method(WandaPruning.self, ["amount": "0.5"])
        let result = try method.compress(singleLayer(Self.w), context: CompressionContext(calibration: calib))
        let pruned = result.model.layers[0].weight.decoded()
        #expect(pruned.data == zip(Self.w.data, Self.expectedMask).map { $1 == 1 ? $0 : 0 })
        // With every input norm equal Wanda is magnitude pruning, which keeps a different set
        // (by hand: each row's 3 largest |W|; row 0 keeps −1.0 and drops 0.2).
        let magnitudeOnly = WandaPruning.mask(weight: Self.w, inputNorms: [Double](repeating: 1, count: 6), amount: 0.5).data
        #expect(magnitudeOnly == [1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0])
        #expect(magnitudeOnly != Self.expectedMask)
    }

    @Test func teacherRowsAreHalfPruned() throws {
        let calib = try PruningFixture.digits("digits_train.csv", limit: 128)
        let method = try PruningFixture.method(WandaPruning.self, [:])
        let model = try method.compress(try PruningFixture.teacher(), context: CompressionContext(calibration: calib)).model
        for layer in model.layers {
            let w = layer.weight.decoded()
            for r in 0..<w.rows {
                // Input pixels that are always 0 already give zero weights' scores; at least half go.
                #expect(w.data[r * w.columns ..< (r + 1) * w.columns].filter { $0 == 0 }.count >= w.columns / 2)
            }
        }
    }

    @Test func needsCalibrationOfTheRightWidth() throws {
        let method = try PruningFixture.method(WandaPruning.self, [:])
        let teacher = try PruningFixture.teacher()
        expectConfigError("needs calibration data") { _ = try method.compress(teacher, context: .init()) }
        let narrow = Dataset(name: "narrow.csv", features: Tensor(zeros: [2, 10]), labels: [0, 1], classCount: 10)
        expectConfigError("has 10 features but the model takes 64") {
            _ = try method.compress(teacher, context: CompressionContext(calibration: narrow))
        }
        expectConfigError("amount=1.5 is out of range") { _ = try PruningFixture.method(WandaPruning.self, ["amount": "1.5"]) }
    }
}

@Suite struct PruneSparseGPTTests {
    static let w = Tensor(shape: [3, 4], data: [0.5, -1.0, 0.2, 0.8, -0.4, 0.3, 0.9, -0.2, 1.2, 0.05, -0.5, 0.4])
    // H = XᵀX for a fixed 6×4 X (numpy).
    static let h: [Double] = [2.29, 1.4, -0.38, 0.73, 1.4, 2.74, 0.23, 0.02, -0.38, 0.23, 1.7, -0.13, 0.73, 0.02, -0.13, 2.2]

    @Test func firstColumnUpdateIsTheOBSClosedForm() throws {
        // w − (w_q / [H⁻¹]_qq) · H⁻¹[q, :] for q = 0 (numpy.linalg.inv).
        let expected: [Double] = [0.0, -0.7342586133266581, 0.06417069934676434, 0.9554669832643694,
                                  0.0, 0.08740689066132645, 1.0086634405225885, -0.32437358661149546,
                                  0.0, 0.6877793280160206, -0.8259903215677655, 0.7731207598344862]
        let mask = (0..<12).map { $0 % 4 == 0 }
        let out = try SparseGPTPruning.prune(weight: Self.w, hessian: Self.h, pattern: .unstructured(amount: 0.25),
                                             damp: 0, fixedMask: mask)
        for (a, b) in zip(out.data, expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    @Test func laterColumnUpdateUsesTheRemainingColumnsHessian() throws {
        // Pruning column 2 after columns 0, 1 are fixed: OBS on H[2:, 2:] (numpy).
        let expected: [Double] = [0.5, -1.0, 0, 0.7881818181818182, -0.4, 0.3, 0, -0.2531818181818182,
                                  1.2, 0.05, 0, 0.42954545454545456]
        let mask = (0..<12).map { $0 % 4 == 2 }
        let out = try SparseGPTPruning.prune(weight: Self.w, hessian: Self.h, pattern: .unstructured(amount: 0.25),
                                             blockSize: 2, damp: 0, fixedMask: mask)
        for (a, b) in zip(out.data, expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    @Test func reconstructionErrorBeatsMagnitudeAtTheSameSparsity() throws {
        var rng = SplitMix64(7)
        let rows = 16, cols = 64, samples = 256
        // Correlated inputs with uneven scales: where second-order information matters.
        let base = (0..<samples * 8).map { _ in rng.normal() }
        var xData: [Float] = []
        for s in 0..<samples {
            for j in 0..<cols { xData.append(base[s * 8 + j % 8] * Float(1 + j % 5) + 0.3 * rng.normal()) }
        }
        let x = Tensor(shape: [samples, cols], data: xData)
        let w = Tensor(shape: [rows, cols], data: (0..<rows * cols).map { _ in rng.normal() })
        func error(_ pruned: Tensor) -> Double {
            let d = Tensor(shape: w.shape, data: zip(w.data, pruned.data).map { $0 - $1 })
            return DenseWeight(d).forward(x).frobeniusNorm
        }
        for amount in [0.5, 0.75] {
            let gpt = try SparseGPTPruning.prune(weight: w, hessian: SparseGPTPruning.hessian(x),
                                                 pattern: .unstructured(amount: amount), blockSize: 16)
            let k = Pruning.prunedCount(amount: amount, of: w.count)
            let magnitude = Pruning.applying(Pruning.maskTensor(Pruning.keepMask(scores: Pruning.magnitudes(w), pruning: k), shape: w.shape), to: w)
            #expect(gpt.count - gpt.nonzeroCount == k)
            #expect(error(gpt) < 0.8 * error(magnitude), "SparseGPT \(error(gpt)) vs magnitude \(error(magnitude))")
        }
        let nm = try SparseGPTPruning.prune(weight: w, hessian: SparseGPTPruning.hessian(x), pattern: .nm(n: 2, m: 4), blockSize: 16)
        for g in stride(from: 0, to: nm.count, by: 4) { #expect(nm.data[g..<g + 4].filter { $0 != 0 }.count == 2) }
    }

    @Test func beatsMagnitudeOnTheTeacher() throws {
        let teacher = try PruningFixture.teacher()
        let calib = try PruningFixture.digits("digits_train.csv", limit: 256)
        let test = try PruningFixture.digits("digits_test.csv")
        let context = CompressionContext(calibration: calib)
        let gpt = try PruningFixture.method(SparseGPTPruning.self, ["amount": "0.8"]).compress(teacher, context: context).model
        let magnitude = try PruningFixture.method(MagnitudePruning.self, ["amount": "0.8"]).compress(teacher, context: context).model
        #expect(PruningFixture.zeros(gpt).reduce(0, +) >= PruningFixture.zeros(magnitude).reduce(0, +))
        #expect(PruningFixture.accuracy(gpt, on: test) > PruningFixture.accuracy(magnitude, on: test))
    }

    @Test func badSparseGPTSettings() throws {
        expectConfigError("needs calibration data") {
            _ = try PruningFixture.method(SparseGPTPruning.self, [:]).compress(try PruningFixture.teacher(), context: .init())
        }
        expectConfigError("not both") { _ = try PruningFixture.method(SparseGPTPruning.self, ["amount": "0.5", "n": "2"]) }
        expectConfigError("n=4 is larger than m=2") { _ = try PruningFixture.method(SparseGPTPruning.self, ["n": "4", "m": "2"]) }
        expectConfigError("blocksize=6 must be a multiple of m=4") {
            _ = try PruningFixture.method(SparseGPTPruning.self, ["n": "2", "m": "4", "blocksize": "6"])
        }
        expectConfigError("damp=-1 is out of range") { _ = try PruningFixture.method(SparseGPTPruning.self, ["damp": "-1"]) }
        let calib = try PruningFixture.digits("digits_train.csv", limit: 16)
        expectConfigError("layer fc1 has 64 inputs, which m=128 does not divide") {
            _ = try PruningFixture.method(SparseGPTPruning.self, ["n": "2", "m": "128"])
                .compress(try PruningFixture.teacher(), context: CompressionContext(calibration: calib))
        }
    }
}

@Suite struct PruneStructuredTests {
    @Test(arguments: ["1", "2", "inf"])
    func shrunkModelEqualsTheMaskedModel(norm: String) throws {
        let teacher = try PruningFixture.teacher()
        let method = try PruningFixture.method(StructuredPruning.self, ["amount": "0.5", "norm": norm])
        let kept = try method.keptNeurons(in: teacher)
        let small = try method.compress(teacher, context: .init()).model
        #expect(small.dims == [64, 128, 64, 10])
        #expect(kept[2] == nil)

        // The masked model: pruned rows of W_l and their biases zeroed, shapes unchanged.
        var masked = teacher
        for (i, keep) in kept.enumerated() {
            guard let keep else { continue }
            var w = teacher.layers[i].weight.decoded()
            var b = teacher.layers[i].bias!
            for r in 0..<w.rows where !keep.contains(r) {
                for c in 0..<w.columns { w[r, c] = 0 }
                b[r] = 0
            }
            masked.layers[i] = LinearLayer(name: teacher.layers[i].name, weight: DenseWeight(w), bias: b)
        }
        let x = try PruningFixture.digits("digits_test.csv", limit: 40).features
        let a = small.forward(x), b = masked.forward(x)
        #expect(zip(a.data, b.data).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func rowsAreChosenByLnNorm() throws {
        let w = Tensor(shape: [4, 3], data: [3, 0, 0,   1, 1, 1,   0.5, 0.5, 2.5,   0, 0, 0.1])
        // L1 [3, 3, 3.5, 0.1]; L2 [3, 1.732, 2.598, 0.1]; L∞ [3, 1, 2.5, 0.1]
        #expect(StructuredPruning.rowNorms(w, norm: .l1) == [3, 3, 3.5, 0.10000000149011612])
        let model = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(w), bias: [1, 2, 3, 4]),
                                   LinearLayer(name: "fc2", weight: DenseWeight(Tensor(shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8])), bias: nil)],
                          activation: .relu)
        let l2 = try PruningFixture.method(StructuredPruning.self, ["amount": "0.5", "norm": "2"])
        #expect(try l2.keptNeurons(in: model)[0] == [0, 2])
        let l1 = try PruningFixture.method(StructuredPruning.self, ["amount": "0.5", "norm": "1"])
        #expect(try l1.keptNeurons(in: model)[0] == [1, 2])   // tie 3 = 3: row 0 (lower index) goes first
        let small = try l2.compress(model, context: .init()).model
        #expect(small.layers[0].weight.decoded().data == [3, 0, 0, 0.5, 0.5, 2.5])
        #expect(small.layers[0].bias == [1, 3])
        #expect(small.layers[1].weight.decoded().data == [1, 3, 5, 7])
    }

    @Test func badStructuredSettings() throws {
        let teacher = try PruningFixture.teacher()
        expectConfigError("would remove all 10 neurons of fc1") {
            let tiny = Model(layers: [LinearLayer(name: "fc1", weight: DenseWeight(Tensor(zeros: [10, 4])), bias: nil),
                                      LinearLayer(name: "fc2", weight: DenseWeight(Tensor(zeros: [3, 10])), bias: nil)],
                             activation: .relu)
            _ = try PruningFixture.method(StructuredPruning.self, ["amount": "0.96"]).compress(tiny, context: .init())
        }
        expectConfigError("fc3 is the output layer") {
            _ = try PruningFixture.method(StructuredPruning.self, ["layers": "fc2,fc3"]).compress(teacher, context: .init())
        }
        expectConfigError("no layer 'fc7'") {
            _ = try PruningFixture.method(StructuredPruning.self, ["layers": "fc7"]).compress(teacher, context: .init())
        }
        expectConfigError("norm must be one of 1, 2, inf") { _ = try PruningFixture.method(StructuredPruning.self, ["norm": "3"]) }
        expectConfigError("amount=1 is out of range") { _ = try PruningFixture.method(StructuredPruning.self, ["amount": "1"]) }
    }
}

