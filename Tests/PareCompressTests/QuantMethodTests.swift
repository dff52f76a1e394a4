import Foundation
import Testing
import PareNN
import PareTensor
@testable import PareCompress
import PareTestSupport

private let basePredictions = QuantFixtures.predictions(QuantFixtures.teacher, QuantFixtures.test.features)
private let logitRows = Tensor(shape: [96, 64], data: Array(QuantFixtures.test.features.data[0..<(96 * 64)]))
private let baseLogits = QuantFixtures.teacher.forward(logitRows)

private func agreementWithBase(_ model: Model) -> Double {
    let p = QuantFixtures.predictions(model, QuantFixtures.test.features)
    return Double(zip(p, basePredictions).filter { $0 == $1 }.count) / Double(p.count)
}

/// ‖logits − base logits‖² on the first 96 test rows.
private func logitError(_ model: Model) -> Double {
    let a = model.forward(logitRows)
    return zip(a.data, baseLogits.data).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
}

@Suite("Quantization methods")
struct QuantMethodTests {
    @Test func quantWeightDefaultIsInt8PerChannelSymmetric() throws {
        let method = try QuantWeight(settings: Settings(method: "quant-weight", values: [:]))
        #expect(method.config == ["bits": .int(8), "granularity": .string("channel"), "scheme": .string("symmetric"), "layers": .string("all")])
        let q = try QuantFixtures.run("quant-weight")
        for (layer, base) in zip(q.layers, QuantFixtures.teacher.layers) {
            let w = try #require(layer.weight as? QuantizedWeight)
            #expect(w.bits == 8 && w.params.granularity == .channel && w.params.format.scheme == .symmetric)
            #expect(w.storedBytes == base.inFeatures * base.outFeatures + base.outFeatures * 4)
            #expect(layer.bias == base.bias)
        }
        #expect(agreementWithBase(q) >= 0.99)
    }

    @Test func quantWeightPackedSizesAndConfig() throws {
        let settings = Settings(method: "quant-weight", values: ["bits": "3", "granularity": "group", "group_size": "32", "scheme": "affine", "layers": "fc2"])
        let method = try QuantWeight(settings: settings)
        #expect(method.config == ["bits": .int(3), "granularity": .string("group"), "group_size": .int(32),
                                  "scheme": .string("affine"), "layers": .string("fc2")])
        let q = try method.compress(QuantFixtures.teacher, context: CompressionContext()).model
        #expect(q.layers[0].weight is DenseWeight && q.layers[2].weight is DenseWeight)
        let w = try #require(q.layers[1].weight as? QuantizedWeight)
        // 128 rows × 256 inputs: 96 bytes of 3-bit codes a row, 8 groups a row (F32 scale + 1-byte zero point each).
        #expect(w.storedBytes == 128 * 96 + 128 * 8 * 4 + 128 * 8)
        // Default group size: 128, or the row width when smaller (fc1 has 64 inputs, fc3 128).
        let g = try QuantFixtures.run("quant-weight", ["bits": "4", "granularity": "group"])
        #expect((g.layers[0].weight as? QuantizedWeight)?.params.granularity == .group(64))
        #expect((g.layers[1].weight as? QuantizedWeight)?.params.granularity == .group(128))
        #expect((g.layers[1].weight as? QuantizedWeight)?.storedBytes == 128 * 128 + 128 * 2 * 4)
    }

    @Test func staticInt8AgreesWithFP32() throws {
        let method = try QuantStatic(settings: Settings(method: "quant-static", values: [:]))
        #expect(method.config["observer"] == .string("minmax") && method.config["activation_dtype"] == .string("uint8")
                && method.config["layers"] == .string("all") && method.config["percentile"] == nil)
        let q = try QuantFixtures.run("quant-static")
        #expect(q.layers.allSatisfy { $0.weight is StaticInt8Linear })
        #expect(agreementWithBase(q) >= 0.99)
        let p = try QuantFixtures.run("quant-static", ["observer": "percentile", "activation_dtype": "int8"])
        #expect(agreementWithBase(p) >= 0.99)
    }

    @Test func staticMSEObserverAgreesWithFP32() throws {
        let q = try QuantFixtures.run("quant-static", ["observer": "mse"])
        #expect(agreementWithBase(q) >= 0.99)
        // The percentile observer clips: its range lies inside min/max.
        let values: [Float] = (0..<10001).map { Float($0) / 10000 } + [50]
        let r = Observers.range(values, observer: "percentile", percentile: 99.99, format: .uint8Affine)
        #expect(r.max < 50 && r.max > 0.99 && r.min >= 0 && r.min < 0.001)
    }

    @Test func dynamicInt8AgreesWithFP32() throws {
        let method = try QuantDynamic(settings: Settings(method: "quant-dynamic", values: ["activation_dtype": "int8"]))
        #expect(method.config["activation_dtype"] == .string("int8") && method.config["activation_granularity"] == .string("row"))
        let q = try QuantFixtures.run("quant-dynamic", calibration: nil)
        #expect(q.layers.allSatisfy { $0.weight is DynamicInt8Linear })
        #expect(agreementWithBase(q) >= 0.99)
    }

    @Test func smoothQuantLeavesFP32OutputUnchanged() throws {
        let x = logitRows
        let base = baseLogits
        let calibration = Tensor(shape: [128, 64], data: Array(QuantFixtures.calibration.features.data[0..<(128 * 64)]))
        let s = SmoothQuant.smooth(QuantFixtures.teacher, layers: [0, 1, 2], calibration: calibration, alpha: 0.5)
        #expect(s.foldedInto == [1, 2] && s.inputMultipliers.keys.sorted() == [0])
        #expect(s.factors[1]!.contains { abs($0 - 1) > 0.01 })
        let y = SmoothQuant.forward(s, x)
        let scale = base.data.map(abs).max()!
        #expect(maxDiff(y, base) <= 1e-5 * scale)
        // GELU is not positively homogeneous: every layer keeps its own input scaling.
        var gelu = QuantFixtures.teacher
        gelu.activation = .gelu
        let sg = SmoothQuant.smooth(gelu, layers: [0, 1, 2], calibration: calibration, alpha: 0.8)
        #expect(sg.foldedInto.isEmpty && sg.inputMultipliers.count == 3)
        let geluBase = gelu.forward(x)
        #expect(maxDiff(SmoothQuant.forward(sg, x), geluBase) <= 1e-5 * geluBase.data.map(abs).max()!)
    }

    @Test func smoothQuantW8A8AgreesWithFP32() throws {
        let method = try QuantSmooth(settings: Settings(method: "quant-smooth", values: ["alpha": "0.6"]))
        #expect(method.config["alpha"] == .double(0.6) && method.config["observer"] == .string("minmax"))
        let q = try QuantFixtures.run("quant-smooth")
        #expect(q.layers.allSatisfy { $0.weight is StaticInt8Linear })
        #expect((q.layers[0].weight as! StaticInt8Linear).inputMultiplier != nil)
        #expect((q.layers[1].weight as! StaticInt8Linear).inputMultiplier == nil)
        #expect(agreementWithBase(q) >= 0.99)
    }

    @Test func allZeroLayerGivesFiniteOutput() throws {
        var model = QuantFixtures.teacher
        model.layers[1] = LinearLayer(name: "fc2", weight: DenseWeight(Tensor(zeros: [128, 256])), bias: model.layers[1].bias)
        let x = Tensor(shape: [4, 64], data: Array(QuantFixtures.test.features.data[0..<256]))
        for (method, values) in [("quant-weight", ["bits": "4", "scheme": "affine"]), ("quant-weight", ["granularity": "tensor"]),
                                 ("quant-gptq", ["bits": "3"]), ("quant-static", [:]), ("quant-dynamic", [:]), ("quant-smooth", [:])] {
            let q = try QuantFixtures.run(method, values, model: model)
            #expect(q.forward(x).isFinite, "\(method) \(values)")
            #expect(q.layers[1].weight.decoded().data.allSatisfy { $0 == 0 }, "\(method)")
        }
    }
}

private func maxDiff(_ a: Tensor, _ b: Tensor) -> Float { zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) } }

@Suite("GPTQ")
struct QuantGPTQTests {
    // A 4×6 weight and 8 calibration rows; the expected codes come from a direct numpy computation
    // of GPTQ (H = 2/n·XᵀX + 0.01·mean(diag)·I, U = chol(H⁻¹)ᵀ, column-by-column error feedback,
    // 4-bit symmetric per-channel), where round-to-nearest gives different codes.
    static let w: [Float] = [0.8414999842643738, 0.9093000292778015, 0.14110000431537628, -0.7567999958992004, -0.958899974822998, -0.2793999910354614, 0.6570000052452087, 0.9894000291824341, 0.4120999872684479, -0.5440000295639038, -1.0, -0.5365999937057495, 0.420199990272522, 0.9905999898910522, 0.6503000259399414, -0.28790000081062317, -0.9613999724388123, -0.7509999871253967, 0.14990000426769257, 0.9128999710083008, 0.8367000222206116, -0.008899999782443047, -0.8461999893188477, -0.9056000113487244]
    static let x: [Float] = [1.0, 1.2431999444961548, -0.6815999746322632, -0.9041000008583069, -1.7934999465942383, -0.6323999762535095, -0.12880000472068787, -1.7137999534606934, -2.8094000816345215, -0.30730000138282776, 1.1087000370025635, 2.9895999431610107, -0.9667999744415283, -0.8015999794006348, 1.4055999517440796, 0.983299970626831, 1.5077999830245972, -0.1379999965429306, 0.3779999911785126, 1.920300006866455, 2.447200059890747, 0.05400000140070915, -1.4973000288009644, -2.9540998935699463, 0.8694000244140625, 0.3066999912261963, -2.0362000465393066, -0.9972000122070312, -1.121999979019165, 0.8992000222206116, -0.6019999980926514, -1.999400019645691, -1.9225000143051147, 0.2029999941587448, 1.7863999605178833, 2.7223000526428223, -0.7142999768257141, 0.2084999978542328, 2.531599998474121, 0.9448999762535095, 0.6615999937057495, -1.6008000373840332, 0.7860999703407288, 1.9457000494003296, 1.2700999975204468, -0.4465000033378601, -1.9569000005722046, -2.309799909591675]
    static let gptqCodes: [Int32] = [7, 7, 1, -6, -7, -3, 5, 7, 3, -4, -8, -4, 3, 7, 5, -2, -8, -6, 1, 7, 7, 0, -8, -7]
    static let rtnCodes: [Int32] = [7, 7, 1, -6, -8, -2, 5, 7, 3, -4, -7, -4, 3, 7, 5, -2, -7, -6, 1, 7, 7, 0, -7, -7]

    @Test func errorFeedbackMatchesDirectComputation() throws {
        let weight = Tensor(shape: [4, 6], data: Self.w), inputs = Tensor(shape: [8, 6], data: Self.x)
        let format = QuantFormat(bits: 4)
        for block in [128, 1, 2, 4] {
            let g = try GPTQ.quantize(weight, inputs: inputs, format: format, granularity: .channel, damp: 0.01, blockSize: block)
            #expect(g.weight.codes == Self.gptqCodes, "block_size \(block)")
        }
        let rtn = try QuantizedWeight(quantizing: weight, format: format, granularity: .channel)
        #expect(rtn.codes == Self.rtnCodes)
        // ‖WX − ŴX‖: GPTQ's 0.546 against round-to-nearest's 0.891 (numpy).
        let g = try GPTQ.quantize(weight, inputs: inputs, format: format, granularity: .channel)
        #expect(abs(outputError(weight, g.weight.decoded(), inputs) - 0.5458874) < 1e-4)
        #expect(abs(outputError(weight, rtn.decoded(), inputs) - 0.8913571) < 1e-4)
    }

    @Test func gptqBeatsRoundToNearestOnLayerOutputs() throws {
        var rng = SplitMix64(seed: 5)
        let weight = Tensor(shape: [16, 32], data: (0..<512).map { _ in rng.uniform() })
        // Correlated inputs with outlier channels, where error feedback pays.
        let inputs = Tensor(shape: [64, 32], data: (0..<(64 * 32)).map { i in
            let j = i % 32
            return rng.uniform() * (j % 7 == 0 ? 6 : 1) + (j > 0 ? 0.5 : 0)
        })
        for bits in [4, 3, 2] {
            for granularity: QuantGranularity in [.channel, .group(8), .tensor] {
                for scheme in QuantScheme.allCases {
                    let format = QuantFormat(bits: bits, scheme: scheme)
                    let g = try GPTQ.quantize(weight, inputs: inputs, format: format, granularity: granularity, blockSize: 8)
                    let r = try QuantizedWeight(quantizing: weight, format: format, granularity: granularity)
                    #expect(outputError(weight, g.weight.decoded(), inputs) < outputError(weight, r.decoded(), inputs),
                            "\(bits) bits \(granularity) \(scheme)")
                }
            }
        }
    }

    @Test(arguments: [4, 3])
    func gptqBeatsRoundToNearestOnTheTeacher(bits: Int) throws {
        let rtn = try QuantFixtures.run("quant-weight", ["bits": "\(bits)"])
        let gptq = try QuantFixtures.run("quant-gptq", ["bits": "\(bits)"])
        let accuracyRTN = QuantFixtures.accuracy(rtn, QuantFixtures.test), accuracyGPTQ = QuantFixtures.accuracy(gptq, QuantFixtures.test)
        #expect(accuracyGPTQ >= accuracyRTN)
        if bits == 3 { #expect(accuracyGPTQ > accuracyRTN) }
        #expect(logitError(gptq) < logitError(rtn))
    }

    @Test func gptqConfigRecordsEveryOption() throws {
        let m = try QuantGPTQ(settings: Settings(method: "quant-gptq", values: ["granularity": "group", "group_size": "16"]))
        #expect(m.config == ["bits": .int(4), "granularity": .string("group"), "group_size": .int(16), "scheme": .string("symmetric"),
                             "damp": .double(0.01), "block_size": .int(128), "layers": .string("all"), "act_order": .bool(false),
                             "static_groups": .bool(false)])
    }
}

private func outputError(_ w: Tensor, _ q: Tensor, _ x: Tensor) -> Double {
    var total = 0.0
    for s in 0..<x.rows {
        for r in 0..<w.rows {
            var d = 0.0
            for j in 0..<w.columns { d += Double(x[s, j]) * (Double(w[r, j]) - Double(q[r, j])) }
            total += d * d
        }
    }
    return total.squareRoot()
}


@Suite("Quantization bad input")
struct QuantBadInputTests {
    private func message(_ method: String, _ values: [String: String], calibration: Dataset? = QuantFixtures.calibration) -> String? {
        do { _ = try QuantFixtures.run(method, values, calibration: calibration); return nil }
        catch let error as ConfigError { return error.description }
        catch { return "unexpected \(type(of: error)): \(error)" }
    }

    @Test func badSettingsAreOneSentenceConfigErrors() throws {
        let cases: [(String, [String: String], String)] = [
            ("quant-weight", ["bits": "9"], "bits=9 is out of range"),
            ("quant-weight", ["bits": "1"], "from 2 to 8"),
            ("quant-gptq", ["bits": "16"], "bits=16 is out of range"),
            ("quant-weight", ["bits": "four"], "must be a whole number"),
            ("quant-weight", ["granularity": "group", "group_size": "0"], "group_size=0 is out of range"),
            ("quant-weight", ["granularity": "group", "group_size": "48"], "does not divide the 64 inputs of layer fc1"),
            ("quant-weight", ["granularity": "group", "group_size": "96", "layers": "fc3"], "does not divide the 128 inputs of layer fc3"),
            ("quant-gptq", ["granularity": "group", "group_size": "100", "layers": "fc2"], "layer fc2"),
            ("quant-weight", ["group_size": "32"], "group_size only applies to granularity=group"),
            ("quant-weight", ["granularity": "row"], "granularity must be one of tensor, channel, group"),
            ("quant-weight", ["scheme": "asymmetric"], "scheme must be one of symmetric, affine"),
            ("quant-weight", ["layers": "fc7"], "no layer 'fc7'"),
            ("quant-weight", ["bitz": "4"], "has no setting 'bitz'"),
            ("quant-static", ["observer": "percentile", "percentile": "0"], "percentile=0 is out of range; it must be in (0, 100]"),
            ("quant-static", ["observer": "percentile", "percentile": "100.5"], "percentile=100.5 is out of range"),
            ("quant-smooth", ["observer": "percentile", "percentile": "-3"], "percentile=-3 is out of range"),
            ("quant-static", ["percentile": "99"], "percentile only applies to observer=percentile"),
            ("quant-static", ["observer": "entropy"], "observer must be one of minmax, percentile, mse"),
            ("quant-static", ["activation_dtype": "fp8"], "activation_dtype must be one of uint8, int8"),
            ("quant-smooth", ["alpha": "1.5"], "alpha=1.5 is out of range; it must be in [0, 1]"),
            ("quant-smooth", ["alpha": "-0.1"], "alpha=-0.1 is out of range"),
            ("quant-gptq", ["damp": "2"], "damp=2 is out of range"),
            ("quant-gptq", ["block_size": "0"], "block_size=0 is out of range"),
            ("quant-dynamic", ["observer": "minmax"], "has no setting 'observer'"),
        ]
        for (method, values, expected) in cases {
            let m = try #require(message(method, values), "\(method) \(values) should fail")
            #expect(m.contains(expected), "\(method) \(values): \(m)")
            #expect(m.hasPrefix(method) && m.hasSuffix("."), "\(m)")
        }
    }

    @Test func calibrationIsRequiredAndMustMatch() throws {
        for method in ["quant-static", "quant-smooth", "quant-gptq"] {
            let m = try #require(message(method, [:], calibration: nil))
            #expect(m.contains("needs calibration data") && m.contains("--calib"), "\(m)")
            let wrong = Dataset(name: "wide.csv", features: Tensor(zeros: [4, 10]), labels: [0, 1, 2, 3], classCount: 10)
            let w = try #require(message(method, [:], calibration: wrong))
            #expect(w.contains("10 features but the model takes 64"), "\(w)")
        }
        // Weight-only and dynamic quantization need no calibration data.
        #expect(message("quant-weight", [:], calibration: nil) == nil)
        #expect(message("quant-dynamic", [:], calibration: nil) == nil)
    }
}
