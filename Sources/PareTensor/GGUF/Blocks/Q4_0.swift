extension GGMLBlocks {
    /// `block_q4_0` (18 bytes, 32 values): `ggml_half d; uint8_t qs[16];` — value j < 16 is
    /// `((qs[j] & 0xF) - 8) * d`, value j + 16 is `((qs[j] >> 4) - 8) * d`. The reference
    /// quantizer takes d = m / -8 for m the value of largest magnitude (its first occurrence),
    /// so m itself gets code 0 and the codes span [-8, 7].
    public enum Q4_0: GGMLBlockQuantizer, GGMLSIMDBlockFormat {
        public static let type = GGMLType.q4_0

        public static func dequantizeSIMD(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 18
                let out = destination + b * 32
                let d = SIMD16<Float>(repeating: half(block, 0))
                let qs = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
                store(d * (floats(qs & 0x0F) - 8), out)
                store(d * (floats(qs &>> 4) - 8), out + 16)
            }
        }

        /// The scalar reference the SIMD path must equal (and the path of unoptimized builds).
        public static func dequantizeScalar(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 18
                let d = half(block, 0)
                for j in 0 ..< 16 {
                    let q = byte(block, 2 + j)
                    destination[b * 32 + j] = d * Float(Int(q & 0x0F) - 8)
                    destination[b * 32 + j + 16] = d * Float(Int(q >> 4) - 8)
                }
            }
        }

        /// quantize_row_q4_0_ref.
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for b in 0 ..< blocks {
                let x = source + b * 32
                let block = destination + b * 18
                var amax: Float = 0, extreme: Float = 0
                for j in 0 ..< 32 where amax < abs(x[j]) {
                    amax = abs(x[j])
                    extreme = x[j]
                }
                let d = extreme / -8
                let id: Float = d != 0 ? 1 / d : 0
                storeHalf(d, block, 0)
                for j in 0 ..< 16 {
                    let q0 = truncatedCode(x[j] * id + 8.5, limit: 15)
                    let q1 = truncatedCode(x[j + 16] * id + 8.5, limit: 15)
                    block.storeBytes(of: q0 | (q1 << 4), toByteOffset: 2 + j, as: UInt8.self)
                }
            }
        }
    }
}
