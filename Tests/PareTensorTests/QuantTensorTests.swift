import Foundation
import Testing
@testable import PareTensor
import PareTestSupport

/// Deterministic test values.
typealias QuantTestRNG = XorShift64

extension XorShift64 {
    mutating func tensor(_ rows: Int, _ cols: Int, _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        Tensor(shape: [rows, cols], data: (0..<(rows * cols)).map { _ in uniform(lo, hi) })
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A minimal reader of the F32 tensors of a safetensors file (enough for the fixture).
func readSafetensorsF32(_ path: String) throws -> [String: Tensor] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let n = Int(Bytes.read(UInt64.self, from: bytes, count: 1)[0])
    let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
    var out: [String: Tensor] = [:]
    for (name, value) in header where name != "__metadata__" {
        let entry = value as! [String: Any]
        guard entry["dtype"] as? String == "F32" else { continue }
        let shape = (entry["shape"] as! [Int])
        let offsets = entry["data_offsets"] as! [Int]
        let count = shape.reduce(1, *)
        out[name] = Tensor(shape: shape, data: Bytes.read(Float.self, from: bytes, offset: 8 + n + offsets[0], count: count))
    }
    return out
}

let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

@Suite("Quantization parameters and rounding")
struct QuantParamsTests {
    @Test func affineParamsForMinusOneToTwo() {
        let u = QuantFormat.uint8Affine.params(min: -1, max: 2)
        #expect(abs(u.scale - 0.011765) < 1e-6)
        #expect(u.zeroPoint == 85)
        let s = QuantFormat.int8Affine.params(min: -1, max: 2)
        #expect(abs(s.scale - 0.011765) < 1e-6)
        #expect(s.zeroPoint == -43)
        // The range is widened to include 0: [0.5, 2] quantizes like [0, 2].
        let w = QuantFormat.uint8Affine.params(min: 0.5, max: 2)
        #expect(w.zeroPoint == 0 && abs(w.scale - 2 / 255) < 1e-7)
    }

    @Test func symmetricPerChannelHandCase() throws {
        // Row 0: max|w| = 127.5/64 → scale 1/64; row 1: max|w| = 127.5/32 → scale 1/32 (exact in
        // binary, so the ties below are real ties).
        let w = Tensor(shape: [2, 4], data: [1.9921875, -0.0078125, 0.0234375, -1.9921875,
                                             0.046875, 0.078125, -3.984375, 3.984375])
        let p = try QuantParams.fit(w, format: .int8Symmetric, granularity: .channel)
        let expectedScales: [Float] = [1.0 / 64, 1.0 / 32]
        #expect(p.scales == expectedScales)
        #expect(p.zeroPoints == [0, 0])
        // 127.5 → 128 (half to even) → clamp 127; −0.5 → 0; 1.5 → 2; −127.5 → −128; 2.5 → 2.
        let expectedCodes: [Int32] = [127, 0, 2, -128, 2, 2, -128, 127]
        #expect(p.quantize(w) == expectedCodes)
        let expectedValues: [Float] = [127.0 / 64, 0, 2.0 / 64, -2, 2.0 / 32, 2.0 / 32, -4, 127.0 / 32]
        #expect(p.dequantize(p.quantize(w)).data == expectedValues)
        // Exactly representable ties round to even.
        let f = QuantFormat(bits: 8)
        #expect(f.quantize(2.5, scale: 1, zeroPoint: 0) == 2)
        #expect(f.quantize(3.5, scale: 1, zeroPoint: 0) == 4)
        #expect(f.quantize(-2.5, scale: 1, zeroPoint: 0) == -2)
        #expect(f.quantize(1000, scale: 1, zeroPoint: 0) == 127)
        #expect(f.quantize(-1000, scale: 1, zeroPoint: 0) == -128)
        #expect(QuantFormat(bits: 4).qmin == -8 && QuantFormat(bits: 4).qmax == 7)
        #expect(abs(QuantFormat(bits: 4).params(min: -7.5, max: 1).scale - 1) < 1e-7)
    }

    /// PyTorch's per_channel_symmetric qint8 rule on the fixture teacher. The expected counts were
    /// computed with numpy in float32 exactly as torch does it (scale = max|w_row|/127.5 clamped
    /// to eps, code = clamp(rint(w·(1/scale)), −128, 127)).
    @Test func pytorchRuleOnFixtureTeacher() throws {
        let tensors = try readSafetensorsF32(fixturesDirectory + "/teacher.safetensors")
        let expected: [(String, sum: Int, sumSquares: Int, n127: Int, nMinus128: Int, zeros: Int, row0: [Int32], scale0: Float)] = [
            ("fc1.weight", 70893, 49450861, 122, 106, 91, [0, 1, -24, -18, -3, 19, -9, -11], 0.004200910218060017),
            ("fc2.weight", 110234, 62597358, 66, 60, 331, [116, 49, 24, 15, 2, 0, -22, 16], 0.0023682299070060253),
            ("fc3.weight", -9624, 3987956, 0, 6, 7, [23, 89, 78, 27, -39, -40, -37, -61], 0.002249182667583227),
        ]
        for e in expected {
            let w = try #require(tensors[e.0])
            let q = try QuantizedWeight(quantizing: w, format: .int8Symmetric, granularity: .channel)
            let codes = q.codes
            #expect(codes.reduce(0) { $0 + Int($1) } == e.sum, "\(e.0)")
            #expect(codes.reduce(0) { $0 + Int($1) * Int($1) } == e.sumSquares, "\(e.0)")
            #expect(codes.filter { $0 == 127 }.count == e.n127, "\(e.0)")
            #expect(codes.filter { $0 == -128 }.count == e.nMinus128, "\(e.0)")
            #expect(codes.filter { $0 == 0 }.count == e.zeros, "\(e.0)")
            #expect(Array(codes[0..<8]) == e.row0, "\(e.0)")
            #expect(q.params.scales[0] == e.scale0, "\(e.0)")
            // Stored as Int8 + one F32 scale per row.
            #expect(q.storedBytes == w.count + w.rows * 4)
        }
    }

    @Test func allZeroWeightsStayFinite() throws {
        let w = Tensor(zeros: [3, 8])
        for scheme in QuantScheme.allCases {
            for granularity: QuantGranularity in [.tensor, .channel, .group(4)] {
                let q = try QuantizedWeight(quantizing: w, format: QuantFormat(bits: 4, scheme: scheme), granularity: granularity)
                #expect(q.params.scales.allSatisfy { $0 > 0 && $0.isFinite })
                #expect(q.decoded().data.allSatisfy { $0 == 0 })
                let y = q.forward(Tensor(shape: [1, 8], data: (0..<8).map(Float.init)))
                #expect(y.isFinite && y.data.allSatisfy { $0 == 0 })
            }
        }
        let s = StaticInt8Linear(quantizing: w, activationRange: (0, 0))
        #expect(s.forward(Tensor(shape: [2, 8], data: [Float](repeating: 1, count: 16))).isFinite)
        let d = DynamicInt8Linear(quantizing: w)
        #expect(d.forward(Tensor(zeros: [2, 8])).isFinite)
    }

    @Test func groupSizeMustDivideRow() {
        #expect(throws: QuantizationError.self) {
            try QuantParams.fit(Tensor(zeros: [2, 10]), format: QuantFormat(bits: 4), granularity: .group(4), layer: "fc9")
        }
        do {
            _ = try QuantParams.fit(Tensor(zeros: [2, 10]), format: QuantFormat(bits: 4), granularity: .group(4), layer: "fc9")
        } catch { #expect("\(error)".contains("fc9")) }
    }

    @Test func fakeQuantizeMatchesQuantizeDequantizeAndSTEMask() throws {
        var rng = QuantTestRNG(7)
        let w = rng.tensor(4, 16)
        let p = try QuantParams.fit(w, format: QuantFormat(bits: 4), granularity: .channel)
        let (values, mask) = fakeQuantize(w, p)
        #expect(values == p.dequantize(p.quantize(w)))
        // Fitted min/max params: everything but the clamped extreme (+max → 7.5 → 8 > 7) is inside.
        for i in 0..<w.count {
            let g = p.group(row: i / 16, column: i % 16)
            let q = (w.data[i] * (1 / p.scales[g])).rounded(.toNearestOrEven)
            #expect(mask.data[i] == ((q >= -8 && q <= 7) ? 1 : 0))
        }
        // Per-tensor activation params applied to values outside the range: mask 0 there.
        let act = QuantParams(format: .uint8Affine, granularity: .tensor, rows: 1, columns: 1, scales: [0.1], zeroPoints: [10])
        let x = Tensor(shape: [1, 4], data: [-5, 0, 10, 30])
        let (xv, xm) = fakeQuantize(x, act)
        #expect(xm.data == [0, 1, 1, 0])
        #expect(abs(xv.data[0] - (-1)) < 1e-6 && abs(xv.data[3] - 24.5) < 1e-5)
    }
}

@Suite("Bit packing")
struct QuantPackingTests {
    @Test func packUnpackRoundTripEveryWidth() {
        var rng = QuantTestRNG(3)
        for bits in 1...8 {
            for (rows, cols) in [(1, 1), (1, 7), (3, 13), (2, 64), (5, 33)] {
                for signed in [false, true] {
                    let lo = signed ? -(1 << (bits - 1)) : 0, hi = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
                    let codes = (0..<(rows * cols)).map { _ in Int32(lo + Int(rng.next() % UInt64(hi - lo + 1))) }
                    let packed = BitPacking.pack(codes, rows: rows, columns: cols, bits: bits)
                    #expect(packed.count == rows * ((cols * bits + 7) / 8))
                    #expect(BitPacking.unpack(packed, rows: rows, columns: cols, bits: bits, signed: signed) == codes,
                            "bits \(bits) \(rows)×\(cols) signed \(signed)")
                    packed.withUnsafeBufferPointer { p in
                        for j in 0..<cols {
                            #expect(BitPacking.code(p.baseAddress! + (rows - 1) * ((cols * bits + 7) / 8), j, bits: bits, signed: signed)
                                    == codes[(rows - 1) * cols + j])
                        }
                    }
                }
            }
        }
        // The documented layouts.
        #expect(BitPacking.pack([1, 2, 3], rows: 1, columns: 3, bits: 4) == [0x21, 0x03])
        #expect(BitPacking.pack([-1, 0, 1, -2], rows: 1, columns: 4, bits: 2) == [0b10_01_00_11])
        #expect(BitPacking.pack([-128, 127], rows: 1, columns: 2, bits: 8) == [0x80, 0x7F])
    }
}

@Suite("Quantized encodings")
struct QuantEncodingTests {
    static let shapes: [(Int, Int)] = [(5, 64), (3, 37), (4, 256), (2, 10)]

    /// Layers of ≥ 2^21 codes split their GEMV rows across threads; each slice must compute
    /// what one thread computes.
    @Test(arguments: [2, 4, 8])
    func threadedGEMVOfALargeLayer(bits: Int) throws {
        var rng = QuantTestRNG(UInt64(100 + bits))
        let w = rng.tensor(1024, 2048)
        let q = try QuantizedWeight(quantizing: w, format: QuantFormat(bits: bits), granularity: .channel)
        let x = rng.tensor(1, 2048, -2, 2)
        #expect(maxAbsDiff(q.forward(x), referenceForward(x, q.decoded())) <= 1e-4 * Float(2048).squareRoot() * 4)
    }

    @Test(arguments: [2, 3, 4, 5, 8])
    func quantizedWeightForwardAndRoundTrip(bits: Int) throws {
        var rng = QuantTestRNG(UInt64(bits))
        for (rows, cols) in Self.shapes {
            let w = rng.tensor(rows, cols)
            var granularities: [QuantGranularity] = [.tensor, .channel]
            for g in [8, 32, 2, 5] where cols % g == 0 { granularities.append(.group(g)) }
            for scheme in QuantScheme.allCases {
                for signed in scheme == .affine ? [false, true] : [true] {
                    for granularity in granularities {
                        let format = QuantFormat(bits: bits, scheme: scheme, signedCodes: signed)
                        let q = try QuantizedWeight(quantizing: w, format: format, granularity: granularity)
                        let label = "\(bits) bits \(scheme) signed=\(signed) \(granularity) \(rows)×\(cols)"
                        let dq = q.decoded()
                        // Rounding error at most half a step (clamped extremes: one step).
                        let step = q.params.scales.max()!
                        #expect(maxAbsDiff(dq, w) <= step * 1.0001, "\(label)")
                        for batch in [1, 3, QuantizedWeight.gemmBatchThreshold + 1] {
                            let x = rng.tensor(batch, cols, -2, 2)
                            let y = q.forward(x)
                            let ref = referenceForward(x, dq)
                            #expect(maxAbsDiff(y, ref) <= 1e-4 * Float(cols).squareRoot() * 4, "\(label) batch \(batch)")
                        }
                        // Encode/decode round trip, honest size.
                        let stored = q.encoded()
                        let groups = q.params.groupCount
                        #expect(stored.payload.count == rows * ((cols * bits + 7) / 8) + groups * 4 + (scheme == .affine ? groups : 0), "\(label)")
                        let back = try #require(try WeightEncodings.decode(stored) as? QuantizedWeight)
                        #expect(back.params == q.params && back.packed == q.packed, "\(label)")
                    }
                }
            }
        }
    }

    @Test func staticAndDynamicInt8ForwardAndRoundTrip() throws {
        var rng = QuantTestRNG(11)
        for (rows, cols) in Self.shapes {
            let w = rng.tensor(rows, cols)
            let x = rng.tensor(4, cols, -1, 3)
            for format in [QuantFormat.uint8Affine, .int8Affine] {
                let lo = x.data.min()!, hi = x.data.max()!
                let s = StaticInt8Linear(quantizing: w, activationRange: (lo, hi), activationFormat: format)
                // Reference: dequantized input (fake-quant) times dequantized weight.
                let act = QuantParams(format: format, granularity: .tensor, rows: 1, columns: 1,
                                      scales: [s.inputScale], zeroPoints: [s.inputZeroPoint])
                let xq = fakeQuantize(x, act).values
                #expect(maxAbsDiff(s.forward(x), referenceForward(xq, s.decoded())) < 1e-4)
                #expect(maxAbsDiff(s.forward(x), referenceForward(x, w)) < 0.05 * Float(cols).squareRoot())
                let back = try #require(try WeightEncodings.decode(s.encoded()) as? StaticInt8Linear)
                #expect(back.weight == s.weight && back.inputScale == s.inputScale && back.inputZeroPoint == s.inputZeroPoint
                        && back.inputFormat == s.inputFormat && back.inputMultiplier == nil)
                #expect(s.encoded().payload.count == rows * cols + rows * 4 + 8)

                let m = (0..<cols).map { _ in rng.uniform(0.5, 2) }
                let sm = StaticInt8Linear(quantizing: w, activationRange: (lo * 2, hi * 2), activationFormat: format, inputMultiplier: m)
                let backM = try #require(try WeightEncodings.decode(sm.encoded()) as? StaticInt8Linear)
                #expect(backM.inputMultiplier == m)
                #expect(maxAbsDiff(backM.forward(x), sm.forward(x)) == 0)

                let d = DynamicInt8Linear(quantizing: w, activationFormat: format)
                var expected = Tensor(zeros: [x.rows, rows])
                for b in 0..<x.rows {
                    let row = Tensor(shape: [1, cols], data: Array(x.data[(b * cols)..<((b + 1) * cols)]))
                    let p = format.params(min: row.data.min()!, max: row.data.max()!)
                    let rq = fakeQuantize(row, QuantParams(format: format, granularity: .tensor, rows: 1, columns: 1,
                                                           scales: [p.scale], zeroPoints: [p.zeroPoint])).values
                    let yr = referenceForward(rq, d.decoded())
                    for r in 0..<rows { expected[b, r] = yr.data[r] }
                }
                #expect(maxAbsDiff(d.forward(x), expected) < 1e-4)
                let backD = try #require(try WeightEncodings.decode(d.encoded()) as? DynamicInt8Linear)
                #expect(backD.weight == d.weight && backD.inputFormat == d.inputFormat)
                #expect(d.encoded().payload.count == rows * cols + rows * 4)
            }
        }
    }

    /// The pre-SIMD W8A8 forward: scalar quantize, scalar Int32 dot, the same requantization.
    static func referenceW8A8(_ w: Int8ChannelMatrix, _ x: Tensor, format: QuantFormat,
                              params: (Int) -> (scale: Float, zeroPoint: Int32), multiplier: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: x.rows * w.rows)
        for b in 0..<x.rows {
            let (sx, zp) = params(b)
            let q = (0..<w.columns).map { j in
                format.quantize(x.data[b * w.columns + j] * (multiplier?[j] ?? 1), scale: sx, zeroPoint: zp)
            }
            for r in 0..<w.rows {
                var acc: Int32 = 0
                for j in 0..<w.columns { acc &+= Int32(w.codes[r * w.columns + j]) &* q[j] }
                y[b * w.rows + r] = Float(acc &- zp &* w.rowSums[r]) * (sx * w.scales[r])
            }
        }
        return y
    }

    /// The SIMD / tiled / threaded integer kernels give bit-for-bit the scalar Int32 result, across
    /// batch remainders (1, 3, 5, 9 rows), row counts not a multiple of 4, column counts not a
    /// multiple of 16 or spanning several column blocks, and products big enough to use threads.
    @Test func int8ActivationKernelsAreBitExact() throws {
        var rng = QuantTestRNG(23)
        let cases: [(rows: Int, cols: Int, batches: [Int])] = [
            (7, 37, [1, 3, 5, 9]), (33, 64, [1, 4, 8]), (70, 2100, [1, 5]), (520, 2100, [2, 9]), (10, 10, [4]),
        ]
        for (rows, cols, batches) in cases {
            let w = rng.tensor(rows, cols)
            for batch in batches {
                let x = rng.tensor(batch, cols, -2, 3)
                for format in [QuantFormat.uint8Affine, .int8Affine] {
                    let lo = x.data.min()! * 0.8, hi = x.data.max()! * 0.8   // some values clamp
                    let m = (0..<cols).map { _ in rng.uniform(0.5, 2) }
                    for multiplier in [nil, m] {
                        let s = StaticInt8Linear(quantizing: w, activationRange: (lo, hi), activationFormat: format,
                                                 inputMultiplier: multiplier)
                        let expected = Self.referenceW8A8(s.weight, x, format: format,
                                                          params: { _ in (s.inputScale, s.inputZeroPoint) }, multiplier: multiplier)
                        #expect(s.forward(x).data == expected, "static \(rows)×\(cols) batch \(batch) \(format)")
                    }
                    let d = DynamicInt8Linear(quantizing: w, activationFormat: format)
                    let expected = Self.referenceW8A8(d.weight, x, format: format, params: { b in
                        let row = x.data[(b * cols)..<((b + 1) * cols)]
                        return format.params(min: min(0, row.min()!), max: max(0, row.max()!))
                    }, multiplier: nil)
                    #expect(d.forward(x).data == expected, "dynamic \(rows)×\(cols) batch \(batch) \(format)")
                }
            }
        }
    }

    @Test func malformedStoredWeightsAreRejected() throws {
        var rng = QuantTestRNG(1)
        let q = try QuantizedWeight(quantizing: rng.tensor(4, 8), format: QuantFormat(bits: 4), granularity: .channel)
        var bad = q.encoded(); bad.payload.removeLast()
        #expect(throws: EncodingError.self) { try QuantizedWeight(decoding: bad) }
        bad = q.encoded(); bad.meta["bits"] = "9"
        #expect(throws: EncodingError.self) { try QuantizedWeight(decoding: bad) }
        bad = q.encoded(); bad.meta["granularity"] = "group3"
        #expect(throws: EncodingError.self) { try QuantizedWeight(decoding: bad) }
        var s = StaticInt8Linear(quantizing: rng.tensor(4, 8), activationRange: (-1, 1)).encoded()
        s.meta["activation_dtype"] = "fp8"
        #expect(throws: EncodingError.self) { try StaticInt8Linear(decoding: s) }
    }
}
