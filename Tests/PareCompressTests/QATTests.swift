import Testing
@testable import PareCompress
import PareNN
import PareTensor

/// `quant-qat`. fakeQuantize itself (forward = quantize→dequantize, STE mask 1 inside the clamp
/// range, 0 outside) is tested in PareTensorTests, and the weightTransform STE path of the backward
/// pass in PareNNTests; here: the observer, the hooks' wiring, conversion, and accuracy.
@Suite struct QATTests {
    static func method(_ values: [String: String]) throws -> QuantQAT {
        try QuantQAT(settings: Settings(method: QuantQAT.name, values: values))
    }

    @Test func movingAverageObserverMovesByTheAveragingConstant() {
        var observer = MovingAverageRange(averagingConstant: 0.01)
        #expect(observer.range == nil)
        observer.observe([0.5, 2, 0])              // the first batch sets the range
        #expect(observer.range! == (0, 2))
        observer.observe([-1, 4])                  // m ← m + 0.01·(batch − m)
        #expect(abs(observer.range!.min - -0.01) < 1e-7 && abs(observer.range!.max - 2.02) < 1e-6)
    }

    @Test func hooksFakeQuantizeSelectedLayersAndMaskClampedGradients() throws {
        let teacher = QuantFixtures.teacher
        let net = TrainableMLP(teacher)
        let quantizer = FakeQuantizer(weightBits: 4, layers: [0, 2], averagingConstant: 0.01)
        // By hand, 4-bit symmetric per channel (codes −8…7, scale = max|w|/7.5): row 0 has scale
        // 0.125, so 0.9375 → 7.5 → 8, clamped to 7 (0.875, no gradient); −0.25 → −2; 0.1 → 0.8 → 1.
        // Row 1 has scale 0.25: −1.875 → −7.5 → −8 (ties to even, inside); 0.3 → 1.2 → 1; 0.5 → 2.
        let hand = Tensor(shape: [2, 3], data: [0.9375, -0.25, 0.1, -1.875, 0.3, 0.5])
        let (handQ, handMask) = FakeQuantizer(weightBits: 4, layers: [0], averagingConstant: 0.01).weight(0, hand)
        #expect(handQ.data == [0.875, -0.25, 0.125, -2, 0.25, 0.5])
        #expect(handMask!.data == [0, 1, 1, 1, 1, 1])
        let w = net.weights[0]
        let (_, mask) = quantizer.weight(0, w)
        #expect(quantizer.weight(1, net.weights[1]).0 == net.weights[1] && quantizer.weight(1, net.weights[1]).1 == nil)

        // By hand, uint8 affine: the first batch sets the range [−1, 254], so scale = 255/255 = 1 and
        // zero point = −round(−1/1) = 1; 0.4 → 0, 3.5 → 4 (ties to even), the ends exact.
        let handInput = Tensor(shape: [1, 4], data: [-1, 0.4, 3.5, 254])
        let handQuantizer = FakeQuantizer(weightBits: 4, layers: [0], averagingConstant: 0.01)
        #expect(handQuantizer.activation(0, handInput, observe: true).0.data == [-1, 0, 4, 254])
        let x = QuantFixtures.test.features
        _ = quantizer.activation(0, x, observe: true)
        let frozen = quantizer.observers[0]!
        _ = quantizer.activation(0, Tensor(shape: [1, 64], data: [Float](repeating: 9, count: 64)), observe: false)
        #expect(quantizer.observers[0]! == frozen)

        // Through the trainer's backward pass: clamped weights (each row's +max lands on 7.5 → 8 > 7) get no gradient.
        let rows = Array(0..<32)
        _ = quantizer.forward(net, x, observe: true)
        let g = Trainer.gradients(net, x: QuantFixtures.test.rows(rows), labels: rows.map { QuantFixtures.test.labels[$0] },
                                  batch: rows, hooks: quantizer.hooks())
        let clamped = mask!.data.indices.filter { mask!.data[$0] == 0 }
        #expect(!clamped.isEmpty && clamped.allSatisfy { g.weights[0].data[$0] == 0 })
        #expect(g.weights[0].data.contains { $0 != 0 })
    }

    @Test func qatAtTwoBitsBeatsPostTrainingAndItsIntegerModelMatchesTheFakeQuantModel() throws {
        // 400 training rows, one epoch at lr 1e-3 to stay cheap in debug builds. Measured on the
        // 360 test rows: W2A8 post-training (same conversion, ranges observed without training)
        // 0.939, as quant-weight bits=2; this QAT 0.978 (0.969 with seed 0; full data and defaults
        // 0.981). At 4 bits post-training already keeps the teacher's 0.978 on digits: nothing to win.
        let data = QuantFixtures.digits("digits_train.csv", limit: 400)
        let test = QuantFixtures.test
        let context = CompressionContext(training: data, seed: 2)
        let qat = try Self.method(["bits": "2", "epochs": "1", "lr": "0.001"])
        let (net, quantizer, curves) = try qat.train(QuantFixtures.teacher, context: context)
        let integer = quantizer.convert(net)
        #expect(integer.layers.allSatisfy { $0.weight.encodingName == StaticInt8Linear.encodingName })
        let codes = (integer.layers[1].weight as! StaticInt8Linear).weight.codes
        #expect(codes.allSatisfy { (-2...1).contains($0) })
        // Stored packed at 2 bits (four codes a byte) and read back identical.
        let stored = integer.layers[1].weight.encoded()
        #expect(stored.meta["weight_bits"] == "2")
        #expect(stored.payload.count == 128 * 256 / 4 + 128 * 4 + 8)
        let back = try #require(try WeightEncodings.decode(stored) as? StaticInt8Linear)
        #expect(back.weight == (integer.layers[1].weight as! StaticInt8Linear).weight)

        // The integer model computes the fake-quant model, up to float summation order.
        let fake = quantizer.forward(net, test.features)
        let real = integer.forward(test.features)
        let agree = zip(argmaxRows(fake), argmaxRows(real)).filter { $0 == $1 }.count
        #expect(Double(agree) / Double(test.rowCount) >= 0.99)
        let worst = zip(fake.data, real.data).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-2 * max(1, fake.data.map(abs).max()!))

        let ptq = try Self.method(["bits": "2", "epochs": "0"]).compress(QuantFixtures.teacher, context: context).model
        let weightOnly = try QuantFixtures.run(QuantWeight.name, ["bits": "2"])
        let (a, b, c) = (QuantFixtures.accuracy(integer, test), QuantFixtures.accuracy(ptq, test), QuantFixtures.accuracy(weightOnly, test))
        print("2-bit weights on the teacher: quant-qat \(a), post-training W2A8 \(b), quant-weight \(c)")
        #expect(a >= b + 0.02 && a >= c + 0.02)
        #expect(curves.map(\.key) == ["qat_loss", "qat_accuracy"] && curves.allSatisfy { $0.step == 1 })
    }

    @Test func configAndRegistry() throws {
        let m = try Self.method([:])
        #expect(m.config == ["bits": .int(8), "weight_granularity": .string("channel"), "weight_scheme": .string("symmetric"),
                             "activation_dtype": .string("uint8"), "activation_granularity": .string("tensor"),
                             "observer": .string("moving_average_minmax"), "averaging_constant": .double(0.01),
                             "epochs": .int(3), "lr": .double(1e-4), "batch_size": .int(64), "layers": .string("all")])
        #expect(try Methods.make("quant-qat", settings: ["bits": "4"]).config["bits"] == .int(4))
    }

    @Test func badInputsAreConfigErrors() throws {
        func rejects(_ values: [String: String], mentioning word: String) {
            #expect { _ = try Self.method(values) } throws: { ($0 as? ConfigError)?.description.contains(word) == true }
        }
        rejects(["bits": "1"], mentioning: "bits")
        rejects(["bits": "9"], mentioning: "bits")
        rejects(["epochs": "-1"], mentioning: "epochs")
        rejects(["lr": "0"], mentioning: "lr")
        rejects(["averaging_constant": "0"], mentioning: "averaging_constant")
        rejects(["granularity": "group"], mentioning: "granularity")
        let m = try Self.method(["epochs": "1"])
        #expect { _ = try m.compress(QuantFixtures.teacher, context: .init()) } throws: {
            ($0 as? ConfigError)?.description.contains("needs --train data") == true
        }
        let narrow = Dataset(name: "narrow", features: Tensor(zeros: [2, 3]), labels: [0, 1], classCount: 2)
        #expect(throws: ConfigError.self) { _ = try m.compress(QuantFixtures.teacher, context: CompressionContext(training: narrow)) }
        let unknownLayer = try Self.method(["layers": "fc9"])
        #expect(throws: ConfigError.self) {
            _ = try unknownLayer.compress(QuantFixtures.teacher, context: CompressionContext(training: QuantFixtures.calibration))
        }
    }
}
