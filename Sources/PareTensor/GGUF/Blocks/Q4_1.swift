extension GGMLBlocks {
    /// `block_q4_1` (20 bytes, 32 values): `ggml_half d; ggml_half m; uint8_t qs[16];` — value
    /// j < 16 is `(qs[j] & 0xF) * d + m`, value j + 16 is `(qs[j] >> 4) * d + m`. The reference
    /// quantizer takes m = min, d = (max − min) / 15 and rounds (x − m) / d to nearest.
    public enum Q4_1: GGMLBlockQuantizer, GGMLSIMDBlockFormat {
        public static let type = GGMLType.q4_1

        public static func dequantizeSIMD(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 20
                let out = destination + b * 32
                let d = SIMD16<Float>(repeating: half(block, 0))
                let m = SIMD16<Float>(repeating: half(block, 2))
                let qs = block.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
                // Multiply, then add: ggml and gguf-py round twice, so no fused multiply-add here.
                store(d * floats(qs & 0x0F) + m, out)
                store(d * floats(qs &>> 4) + m, out + 16)
            }
        }

        /// The scalar reference the SIMD path must equal (and the path of unoptimized builds).
        public static func dequantizeScalar(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 20
                let d = half(block, 0), m = half(block, 2)
                for j in 0 ..< 16 {
                    let q = byte(block, 4 + j)
                    destination[b * 32 + j] = d * Float(q & 0x0F) + m
                    destination[b * 32 + j + 16] = d * Float(q >> 4) + m
                }
            }
        }

        /// quantize_row_q4_1_ref.
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for b in 0 ..< blocks {
                let x = source + b * 32
                let block = destination + b * 20
                var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
                for j in 0 ..< 32 {
                    if x[j] < lo { lo = x[j] }
                    if x[j] > hi { hi = x[j] }
                }
                let d = (hi - lo) / 15
                let id: Float = d != 0 ? 1 / d : 0
                storeHalf(d, block, 0)
                storeHalf(lo, block, 2)
                for j in 0 ..< 16 {
                    let q0 = truncatedCode((x[j] - lo) * id + 0.5, limit: 15)
                    let q1 = truncatedCode((x[j + 16] - lo) * id + 0.5, limit: 15)
                    block.storeBytes(of: q0 | (q1 << 4), toByteOffset: 4 + j, as: UInt8.self)
                }
            }
        }
    }
}
