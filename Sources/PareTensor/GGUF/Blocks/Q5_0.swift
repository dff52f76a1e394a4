extension GGMLBlocks {
    /// `block_q5_0` (22 bytes, 32 values): `ggml_half d; uint8_t qh[4]; uint8_t qs[16];` — a
    /// 5-bit code per value: the low 4 bits as in Q4_0 (value j < 16 in the low nibble of qs[j],
    /// value j + 16 in its high nibble), the 5th bit of value j is bit j of qh read as a
    /// little-endian UInt32. Value = (code − 16) * d; the reference quantizer takes d = m / -16.
    public enum Q5_0: GGMLBlockQuantizer {
        public static let type = GGMLType.q5_0

        /// A plain loop: it vectorizes as well as hand-written SIMD16 code did (which was 2.5× slower).
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 22
                let d = half(block, 0)
                let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                for j in 0 ..< 16 {
                    let q = byte(block, 6 + j)
                    let c0 = Int(q & 0x0F) | Int((qh >> j) & 1) << 4
                    let c1 = Int(q >> 4) | Int((qh >> (j + 16)) & 1) << 4
                    destination[b * 32 + j] = d * Float(c0 - 16)
                    destination[b * 32 + j + 16] = d * Float(c1 - 16)
                }
            }
        }

        /// quantize_row_q5_0_ref.
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for b in 0 ..< blocks {
                let x = source + b * 32
                let block = destination + b * 22
                var amax: Float = 0, extreme: Float = 0
                for j in 0 ..< 32 where amax < abs(x[j]) {
                    amax = abs(x[j])
                    extreme = x[j]
                }
                let d = extreme / -16
                let id: Float = d != 0 ? 1 / d : 0
                storeHalf(d, block, 0)
                var qh: UInt32 = 0
                for j in 0 ..< 16 {
                    let q0 = truncatedCode(x[j] * id + 16.5, limit: 31)
                    let q1 = truncatedCode(x[j + 16] * id + 16.5, limit: 31)
                    block.storeBytes(of: (q0 & 0x0F) | (q1 << 4), toByteOffset: 6 + j, as: UInt8.self)
                    qh |= UInt32(q0 >> 4) << j | UInt32(q1 >> 4) << (j + 16)
                }
                block.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
            }
        }
    }
}
