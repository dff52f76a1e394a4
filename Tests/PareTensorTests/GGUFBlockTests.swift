import Testing
@testable import PareTensor
import PareTestSupport

/// Each block format on a block made by hand, whose values follow from ggml's layout by hand
/// (binary16 constants: 0x3C00 = 1, 0x3800 = 0.5, 0x3400 = 0.25, 0x4000 = 2, 0xBC00 = −1).
@Suite struct GGUFBlockTests {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    static func decode(_ type: GGMLType, _ block: [UInt8]) throws -> [Float] {
        #expect(block.count == type.typeSize, "hand-made \(type.name) block has the wrong size")
        return try type.dequantize(block)
    }

    // MARK: Unblocked types

    @Test func f16AndBF16() throws {
        let f16 = [0x3C00, 0xC000, 0x7C00, 0x0001, 0x3555, 0x8000, 0x7BFF].flatMap { Self.le16(UInt16($0)) }
        let values = try GGMLType.f16.dequantize(f16)
        #expect(values[0 ..< 5] == [1, -2, .infinity, 0x1p-24, 0.333251953125])
        #expect(values[5].sign == .minus && values[5] == 0 && values[6] == 65504)
        let bf16 = [0x3F80, 0xC040, 0x7F80, 0x3EAB].flatMap { Self.le16(UInt16($0)) }
        #expect(try GGMLType.bf16.dequantize(bf16) == [1, -3, .infinity, 0.333984375])
        // Encoding: ties to even; 70000 overflows binary16 to infinity.
        #expect(try GGMLType.f16.quantize([1 + 0x1p-11, 1 + 3 * 0x1p-11, 70000]) == [0x00, 0x3C, 0x02, 0x3C, 0x00, 0x7C])
        #expect(try GGMLType.bf16.quantize([1 + 0x1p-8, 1 + 3 * 0x1p-8]) == [0x80, 0x3F, 0x82, 0x3F])
    }

    // MARK: 32-value blocks

    @Test func q8_0() throws {
        // d = 0.5, qs[j] = j − 16, except qs[0] = −128.
        var qs = (0 ..< 32).map { UInt8(bitPattern: Int8($0 - 16)) }
        qs[0] = 0x80
        let values = try Self.decode(.q8_0, Self.le16(0x3800) + qs)
        #expect(values[0] == -64 && values[1] == -7.5 && values[16] == 0 && values[31] == 7.5)
    }

    @Test func q4_0() throws {
        // d = 0.5, qs[j] = j | (15 − j) << 4: value j = (j − 8) / 2, value 16 + j = (7 − j) / 2.
        let qs = (0 ..< 16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let values = try Self.decode(.q4_0, Self.le16(0x3800) + qs)
        let low: [Float] = (0 ..< 16).map { Float($0 - 8) / 2 }
        let high: [Float] = (0 ..< 16).map { Float(7 - $0) / 2 }
        #expect(values == low + high)
        #expect(values[0] == -4 && values[15] == 3.5 && values[16] == 3.5 && values[31] == -4)
    }

    @Test func q4_1() throws {
        // d = 0.25, m = −1: value j = j/4 − 1, value 16 + j = (15 − j)/4 − 1.
        let qs = (0 ..< 16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let values = try Self.decode(.q4_1, Self.le16(0x3400) + Self.le16(0xBC00) + qs)
        let low: [Float] = (0 ..< 16).map { Float($0) / 4 - 1 }
        let high: [Float] = (0 ..< 16).map { Float(15 - $0) / 4 - 1 }
        #expect(values == low + high)
    }

    @Test func q5_0() throws {
        // d = 1, qh = 0xFFFF0000 (the 5th bit set for values 16…31), qs[j] = j | j << 4:
        // codes 0…15 then 16…31, so values −16…15.
        let qs = (0 ..< 16).map { UInt8($0) | UInt8($0) << 4 }
        let values = try Self.decode(.q5_0, Self.le16(0x3C00) + Self.le32(0xFFFF_0000) + qs)
        let expected: [Float] = (0 ..< 32).map { Float($0 - 16) }
        #expect(values == expected)
    }

    @Test func q5_1() throws {
        // d = 0.5, m = 2, qh = 0x0000FFFF, qs[j] = 15 − j: value j = (31 − j)/2 + 2, value 16 + j = 2.
        let qs = (0 ..< 16).map { UInt8(15 - $0) }
        let values = try Self.decode(.q5_1, Self.le16(0x3800) + Self.le16(0x4000) + Self.le32(0x0000_FFFF) + qs)
        let low: [Float] = (0 ..< 16).map { Float(31 - $0) / 2 + 2 }
        #expect(values == low + [Float](repeating: 2, count: 16))
    }

    // MARK: K-quants (256-value super-blocks)

    @Test func q2_K() throws {
        // Every group: scale 2, minimum 1 (scales byte 0x12), except group 15: scale 1, minimum 3.
        // qs bytes 0xE4 = 0b11_10_01_00, so value i has code (i / 32) % 4. d = 1, dmin = 0.5.
        var scales = [UInt8](repeating: 0x12, count: 16)
        scales[15] = 0x31
        let block = scales + [UInt8](repeating: 0xE4, count: 64) + Self.le16(0x3C00) + Self.le16(0x3800)
        let values = try Self.decode(.q2_K, block)
        for i in 0 ..< 240 { #expect(values[i] == 2 * Float((i / 32) % 4) - 0.5, "value \(i)") }
        for i in 240 ..< 256 { #expect(values[i] == 1 * 3 - 0.5 * 3, "value \(i)") }
    }

    @Test func q3_K() throws {
        // Scales: 6-bit 33 (so 33 − 32 = 1) everywhere — low nibbles 1 (bytes 0–7 = 0x11), high
        // bits 2 (bytes 8–11 = 0xAA) — except group 15: 30 (−2), its low nibble in the top half of
        // byte 7 (0xE1) and high bits 01 in bits 6–7 of byte 11 (0x6A).
        // qs = 0xE4: 2-bit code (i / 32) % 4. hmask all ones (no −4), except bit 0 of hmask[0]
        // (value 0) and bit 3 of hmask[5] (value 3·32 + 5 = 101).
        var hmask = [UInt8](repeating: 0xFF, count: 32)
        hmask[0] = 0xFE
        hmask[5] = 0xF7
        var scales = [UInt8](repeating: 0x11, count: 8) + [UInt8](repeating: 0xAA, count: 4)
        scales[7] = 0xE1
        scales[11] = 0x6A
        let block = hmask + [UInt8](repeating: 0xE4, count: 64) + scales + Self.le16(0x3C00)
        let values = try Self.decode(.q3_K, block)
        #expect(values[0] == -4)
        #expect(values[101] == 3 - 4)
        #expect(values[1] == 0 && values[32] == 1 && values[64] == 2 && values[96] == 3 && values[200] == 2)
        for i in 240 ..< 256 { #expect(values[i] == -2 * 3, "value \(i)") }
    }

    /// Q4_K/Q5_K scales: group j has scale j + 1 and minimum j, except scale 21 for group 4
    /// (top bits 01 from byte 0) and minimum 39 for group 7 (top bits 10 from byte 7).
    static let kScales: [UInt8] = [0x41, 2, 3, 4, 0, 1, 2, 0x83, 0x45, 0x56, 0x67, 0x78]

    @Test func kScaleMinUnpacking() {
        let unpacked = Self.kScales.withUnsafeBytes { raw in (0 ..< 8).map { GGMLBlocks.scaleMin(raw.baseAddress!, $0) } }
        #expect(unpacked.map(\.0) == [1, 2, 3, 4, 21, 6, 7, 8])
        #expect(unpacked.map(\.1) == [0, 1, 2, 3, 4, 5, 6, 39])
    }

    @Test func q4_K() throws {
        // d = dmin = 1; qs[32c + l] = (l % 16) | (15 − l % 16) << 4, so group j's codes are
        // l % 16 (j even) or 15 − l % 16 (j odd); value = scale · code − minimum.
        let qs = (0 ..< 128).map { k in UInt8(k % 16) | UInt8(15 - k % 16) << 4 }
        let values = try Self.decode(.q4_K, Self.le16(0x3C00) + Self.le16(0x3C00) + Self.kScales + qs)
        #expect(values[0] == 0 && values[5] == 5 && values[17] == 1)  // group 0: scale 1, min 0
        #expect(values[32] == 2 * 15 - 1)                              // group 1: scale 2, min 1
        #expect(values[130] == 21 * 2 - 4)                             // group 4: scale 21, min 4
        #expect(values[224] == 8 * 15 - 39 && values[239] == -39)      // group 7: scale 8, min 39
    }

    @Test func q5_K() throws {
        // Scales as Q4_K; qs all zero; qh[l] = 1 << (l % 8), so value 32j + l has code 16 when l % 8 == j.
        let qh = (0 ..< 32).map { UInt8(1) << UInt8($0 % 8) }
        let block = Self.le16(0x3C00) + Self.le16(0x3C00) + Self.kScales + qh + [UInt8](repeating: 0, count: 128)
        let values = try Self.decode(.q5_K, block)
        #expect(values[0] == 16 && values[1] == 0 && values[8] == 16)  // group 0: scale 1, min 0
        #expect(values[33] == 2 * 16 - 1 && values[32] == -1)          // group 1: scale 2, min 1
        #expect(values[32 * 7 + 7] == 8 * 16 - 39)                     // group 7
    }

    @Test func q6_K() throws {
        // d = 0.5, scales[g] = g − 4; ql bytes 0x21 (low nibble 1, high 2), qh bytes 0xE4, so in
        // each half of 128 the codes are 1, 1|1<<4, 2|2<<4, 2|3<<4 (−32: −31, −15, 2, 18) by quarter.
        let scales = (0 ..< 16).map { UInt8(bitPattern: Int8($0 - 4)) }
        let block = [UInt8](repeating: 0x21, count: 128) + [UInt8](repeating: 0xE4, count: 64) + scales + Self.le16(0x3800)
        let values = try Self.decode(.q6_K, block)
        #expect(values[0] == 0.5 * -4 * -31)
        #expect(values[32] == 0.5 * -2 * -15)
        #expect(values[64] == 0)
        #expect(values[96] == 0.5 * 2 * 18)
        #expect(values[128] == 0.5 * 4 * -31)
        #expect(values[255] == 0.5 * 11 * 18)
    }

    @Test func q8_K() throws {
        // d = 0.25 (Float32), qs[j] = j − 128; bsums are not read.
        let qs = (0 ..< 256).map { UInt8(bitPattern: Int8($0 - 128)) }
        let values = try Self.decode(.q8_K, Self.le32(Float(0.25).bitPattern) + qs + [UInt8](repeating: 0, count: 32))
        let expected: [Float] = (0 ..< 256).map { Float($0 - 128) * 0.25 }
        #expect(values == expected)
    }

    // MARK: Encoders

    @Test func legacyEncodersByHand() throws {
        // Q8_0: a lone 1 among zeros: d = 1/127, code 127.
        var x = [Float](repeating: 0, count: 32)
        x[3] = 1
        let q8 = try GGMLType.q8_0.quantize(x)
        #expect(Array(q8[0 ..< 2]) == Self.le16(HalfPrecision.f16Bits(1.0 / 127)))
        #expect(q8[2 + 3] == 127 && q8.enumerated().allSatisfy { $0.offset < 2 || $0.offset == 5 || $0.element == 0 })

        // Q4_0: x = j − 8 for j < 16 (the extreme −8 first), then zeros: d = −8 / −8 = 1, codes j and 8.
        let q4 = try GGMLType.q4_0.quantize((0 ..< 16).map { Float($0 - 8) } + [Float](repeating: 0, count: 16))
        #expect(q4 == Self.le16(0x3C00) + (0 ..< 16).map { UInt8($0) | 0x80 })

        // Q4_1: x = (j % 16) / 4 + 1: min 1, d = 3.75 / 15 = 0.25, codes j % 16.
        let q41 = try GGMLType.q4_1.quantize((0 ..< 32).map { Float($0 % 16) / 4 + 1 })
        #expect(q41 == Self.le16(0x3400) + Self.le16(0x3C00) + (0 ..< 16).map { UInt8($0) | UInt8($0) << 4 })

        // Q5_0: x = j − 16: d = −16 / −16 = 1, codes j.
        let q50 = try GGMLType.q5_0.quantize((0 ..< 32).map { Float($0 - 16) })
        #expect(q50 == Self.le16(0x3C00) + Self.le32(0xFFFF_0000) + (0 ..< 16).map { UInt8($0) | UInt8($0) << 4 })

        // Q5_1: x = j / 2 + 2: min 2, d = 15.5 / 31 = 0.5, codes j.
        let q51 = try GGMLType.q5_1.quantize((0 ..< 32).map { Float($0) / 2 + 2 })
        #expect(q51 == Self.le16(0x3800) + Self.le16(0x4000) + Self.le32(0xFFFF_0000) + (0 ..< 16).map { UInt8($0) | UInt8($0) << 4 })

        // All zeros: d = 0 and the inverse scale 0 (not infinity).
        for type in [GGMLType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1] {
            #expect(try type.dequantize(type.quantize([Float](repeating: 0, count: 32))) == [Float](repeating: 0, count: 32))
        }
    }

    /// decode(encode(x)) is within one quantization step of x, block by block.
    @Test func encodeDecodeRoundTrip() throws {
        var rng = TestRNG(7)
        let x = (0 ..< 32 * 64).map { i in Float(rng.uniformDouble()) * (i < 1024 ? 1 : 0.01) + (i % 97 == 0 ? 3 : 0) }
        // The largest error in steps: half a step of rounding, except that Q4_0 and Q5_0 give the
        // extreme value code −8 (−16), so a value of the opposite sign as large clips to +7 (+15),
        // a whole step short.
        let steps: [(GGMLType, Float, ([Float]) -> Float)] = [
            (.q8_0, 0.5, { $0.map(abs).max()! / 127 }), (.q4_0, 1, { $0.map(abs).max()! / 8 }),
            (.q4_1, 0.5, { ($0.max()! - $0.min()!) / 15 }), (.q5_0, 1, { $0.map(abs).max()! / 16 }),
            (.q5_1, 0.5, { ($0.max()! - $0.min()!) / 31 }),
        ]
        for (type, steps, step) in steps {
            let y = try type.dequantize(type.quantize(x))
            for b in 0 ..< 64 {
                let block = Array(x[32 * b ..< 32 * b + 32])
                let error = zip(block, y[32 * b ..< 32 * b + 32]).map { abs($0 - $1) }.max()!
                // Plus slack for the binary16 rounding of d (and m).
                #expect(error <= step(block) * steps * 1.01 + block.map(abs).max()! * 0x1p-9, "\(type.name) block \(b)")
            }
        }
        let f16 = try GGMLType.f16.dequantize(GGMLType.f16.quantize(x))
        #expect(zip(x, f16).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-11 + 0x1p-25 })
        let bf16 = try GGMLType.bf16.dequantize(GGMLType.bf16.quantize(x))
        #expect(zip(x, bf16).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-8 })
        #expect(try GGMLType.f32.dequantize(GGMLType.f32.quantize(x)) == x)
    }

    /// The SIMD decoders equal their scalar references on random blocks (with finite scales).
    @Test func simdDecodersEqualScalarReferences() {
        var rng = TestRNG(11)
        let cases: [(Int, [Int], (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void, (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void)] = [
            (34, [1], GGMLBlocks.Q8_0.dequantizeSIMD, GGMLBlocks.Q8_0.dequantizeScalar),
            (18, [1], GGMLBlocks.Q4_0.dequantizeSIMD, GGMLBlocks.Q4_0.dequantizeScalar),
            (20, [1, 3], GGMLBlocks.Q4_1.dequantizeSIMD, GGMLBlocks.Q4_1.dequantizeScalar),
        ]
        for (typeSize, halfHighBytes, simd, scalar) in cases {
            let blocks = 50
            var bytes = (0 ..< blocks * typeSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for b in 0 ..< blocks { for k in halfHighBytes { bytes[b * typeSize + k] &= 0x3B } }  // |d|, |m| < 2
            var a = [Float](repeating: 0, count: blocks * 32), s = a
            bytes.withUnsafeBytes { raw in
                a.withUnsafeMutableBufferPointer { simd(raw.baseAddress!, blocks, $0.baseAddress!) }
                s.withUnsafeMutableBufferPointer { scalar(raw.baseAddress!, blocks, $0.baseAddress!) }
            }
            #expect(sameFloats(a, s), "block size \(typeSize)")
        }
    }

    @Test func typeTable() {
        // ggml's sizes (ggml-common.h static_asserts).
        let sizes: [GGMLType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22),
            .q5_1: (32, 24), .q8_0: (32, 34), .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144),
            .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        ]
        for (type, (blockSize, typeSize)) in sizes {
            #expect(type.blockSize == blockSize && type.typeSize == typeSize, "\(type.name)")
            #expect(type.canDequantize)
        }
        #expect(GGMLType.q4_K.name == "Q4_K" && GGMLType.iq2_xxs.name == "IQ2_XXS")
        #expect(GGMLType(rawValue: 4) == nil && GGMLType(rawValue: 31) == nil)
        #expect(!GGMLType.iq4_nl.canDequantize && GGMLType.q4_K.canQuantize && !GGMLType.q5_K.canQuantize)
        #expect(GGMLType.q4_0.byteCount(forValues: 64) == 36 && GGMLType.q4_0.byteCount(forValues: 48) == nil)
    }

    @Test func codecArgumentErrors() {
        #expect(throws: GGUFError.self) { try GGMLType.q4_0.quantize([1, 2, 3]) }
        #expect(throws: GGUFError.self) { try GGMLType.q5_K.quantize([Float](repeating: 0, count: 256)) }
        #expect(throws: GGUFError.self) { try GGMLType.q8_0.dequantize([0, 1, 2]) }
        #expect(throws: GGUFError.self) { try GGMLType.iq2_xxs.dequantize([UInt8](repeating: 0, count: 66)) }
    }
}
