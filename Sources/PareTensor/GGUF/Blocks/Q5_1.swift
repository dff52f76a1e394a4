extension GGMLBlocks {
    /// `block_q5_1` (24 bytes, 32 values): `ggml_half d; ggml_half m; uint8_t qh[4];
    /// uint8_t qs[16];` — 5-bit codes packed as in Q5_0; value = code * d + m. The reference
    /// quantizer takes m = min and d = (max − min) / 31.
    public enum Q5_1: GGMLBlockQuantizer {
        public static let type = GGMLType.q5_1

        /// A plain loop: it vectorizes as well as hand-written SIMD16 code did (which was 2.5× slower).
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 24
                let d = half(block, 0), m = half(block, 2)
                let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                for j in 0 ..< 16 {
                    let q = byte(block, 8 + j)
                    let c0 = Int(q & 0x0F) | Int((qh >> j) & 1) << 4
                    let c1 = Int(q >> 4) | Int((qh >> (j + 16)) & 1) << 4
                    destination[b * 32 + j] = d * Float(c0) + m
                    destination[b * 32 + j + 16] = d * Float(c1) + m
                }
            }
        }

        /// quantize_row_q5_1_ref.
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for b in 0 ..< blocks {
                let x = source + b * 32
                let block = destination + b * 24
                var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
                for j in 0 ..< 32 {
                    if x[j] < lo { lo = x[j] }
                    if x[j] > hi { hi = x[j] }
                }
                let d = (hi - lo) / 31
                let id: Float = d != 0 ? 1 / d : 0
                storeHalf(d, block, 0)
                storeHalf(lo, block, 2)
                var qh: UInt32 = 0
                for j in 0 ..< 16 {
                    let q0 = truncatedCode((x[j] - lo) * id + 0.5, limit: 31)
                    let q1 = truncatedCode((x[j + 16] - lo) * id + 0.5, limit: 31)
                    block.storeBytes(of: (q0 & 0x0F) | (q1 << 4), toByteOffset: 8 + j, as: UInt8.self)
                    qh |= UInt32(q0 >> 4) << j | UInt32(q1 >> 4) << (j + 16)
                }
                block.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
            }
        }
    }
}
