import PareTensor

/// Pare's group-32 quantized weights in the ggml block that holds the same codes: int8
/// symmetric → Q8_0, int4 symmetric → Q4_0, int4 affine → Q4_1. The codes are copied, never
/// re-rounded. The one thing that can change is the scale: ggml stores it (and Q4_1's offset
/// m = −zero_point·scale) as fp16 while Pare keeps Float32, so a scale fp16 cannot hold is
/// rounded to the nearest fp16 and `roundedScales` counts it (then the decoded weights differ
/// from Pare's by that relative amount, at most 2⁻¹¹, for the whole group).
enum GGUFExactBlocks {
    struct Encoded {
        var type: GGMLType
        var bytes: [UInt8]
        /// Groups whose scale or offset was not exactly an fp16 value.
        var roundedScales: Int
        /// The largest relative change of a scale or offset from rounding it to fp16.
        var largestRelativeChange: Float
    }

    /// The ggml type holding `w`'s codes exactly, or nil when there is none.
    static func type(of w: QuantizedWeight) -> GGMLType? {
        guard case .group(32) = w.params.granularity else { return nil }
        switch (w.bits, w.params.format.scheme) {
        case (8, .symmetric): return .q8_0
        case (4, .symmetric): return .q4_0
        case (4, .affine): return .q4_1
        default: return nil
        }
    }

    /// The blocks of `w`, row by row (a row of `in` values is `in / 32` blocks); nil when no
    /// ggml type holds its codes.
    static func encode(_ w: QuantizedWeight) -> Encoded? {
        guard let type = type(of: w) else { return nil }
        let p = w.params
        let codes = w.codes
        let groups = p.groupCount
        var out = [UInt8](repeating: 0, count: groups * type.typeSize)
        var rounded = 0
        var largest: Float = 0
        /// The fp16 bits of `x`, counting a value fp16 does not hold exactly.
        func half(_ x: Float) -> UInt16 {
            let bits = HalfPrecision.f16Bits(x)
            let back = HalfPrecision.float(f16: bits)
            if back != x {
                rounded += 1
                if x != 0 { largest = max(largest, abs(back - x) / abs(x)) }
            }
            return bits
        }
        // Signed affine codes run −8…7; Q4_1's are 0…15, so they shift by 8 (and the offset with them).
        let shift: Int32 = p.format.signedCodes && p.format.scheme == .affine ? 8 : 0
        out.withUnsafeMutableBytes { raw in
            for g in 0..<groups {
                let block = raw.baseAddress! + g * type.typeSize
                let c = codes[(g * 32)..<(g * 32 + 32)]
                let scale = p.scales[g]
                let before = rounded
                switch type {
                case .q8_0:
                    block.storeBytes(of: half(scale).littleEndian, as: UInt16.self)
                    for (j, code) in c.enumerated() { block.storeBytes(of: Int8(code), toByteOffset: 2 + j, as: Int8.self) }
                case .q4_0:
                    block.storeBytes(of: half(scale).littleEndian, as: UInt16.self)
                    let q = c.map { UInt8($0 + 8) }
                    for j in 0..<16 { block.storeBytes(of: q[j] | (q[j + 16] << 4), toByteOffset: 2 + j, as: UInt8.self) }
                default:  // .q4_1
                    let zero = p.zeroPoints[g] + shift
                    block.storeBytes(of: half(scale).littleEndian, as: UInt16.self)
                    block.storeBytes(of: half(-Float(zero) * scale).littleEndian, toByteOffset: 2, as: UInt16.self)
                    let q = c.map { UInt8($0 + shift) }
                    for j in 0..<16 { block.storeBytes(of: q[j] | (q[j + 16] << 4), toByteOffset: 4 + j, as: UInt8.self) }
                }
                if rounded > before + 1 { rounded = before + 1 }  // one group counts once
            }
        }
        return Encoded(type: type, bytes: out, roundedScales: rounded, largestRelativeChange: largest)
    }
}
