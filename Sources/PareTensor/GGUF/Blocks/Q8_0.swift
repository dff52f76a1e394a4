extension GGMLBlocks {
    /// `block_q8_0` (34 bytes, 32 values): `ggml_half d; int8_t qs[32];` — value j is `qs[j] * d`.
    /// ggml's reference quantizer takes d = max|x| / 127 and qs[j] = roundf(x[j] / d) (half away
    /// from zero).
    public enum Q8_0: GGMLBlockQuantizer, GGMLSIMDBlockFormat {
        public static let type = GGMLType.q8_0

        public static func dequantizeSIMD(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 34
                let out = destination + b * 32
                let d = SIMD16<Float>(repeating: half(block, 0))
                store(floats(block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * d, out)
                store(floats(block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)) * d, out + 16)
            }
        }

        /// The scalar reference the SIMD path must equal (and the path of unoptimized builds).
        public static func dequantizeScalar(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 34
                let d = half(block, 0)
                for j in 0 ..< 32 { destination[b * 32 + j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
            }
        }

        /// quantize_row_q8_0_ref.
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for b in 0 ..< blocks {
                let x = source + b * 32
                let block = destination + b * 34
                var amax: Float = 0
                for j in 0 ..< 32 { amax = max(amax, abs(x[j])) }
                let d = amax / 127
                let id: Float = d != 0 ? 1 / d : 0
                storeHalf(d, block, 0)
                for j in 0 ..< 32 {
                    let q = (x[j] * id).rounded(.toNearestOrAwayFromZero)
                    let code: Int8 = q.isNaN ? 0 : Int8(max(-128, min(127, q)))
                    block.storeBytes(of: code, toByteOffset: 2 + j, as: Int8.self)
                }
            }
        }
    }
}
