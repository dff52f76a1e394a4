extension GGMLBlocks {
    /// `block_q5_K` (176 bytes, 256 values in 8 groups of 32):
    /// `ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128];` —
    /// scales, minima and low 4 bits as in Q4_K; the 5th bit of value 32j + l is bit j of qh[l].
    public enum Q5_K: GGMLBlockFormat {
        public static let type = GGMLType.q5_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 176
                let out = destination + b * 256
                let d = half(block, 0), dmin = half(block, 2)
                for j in 0 ..< 8 {
                    let (sc, m) = scaleMin(block + 4, j)
                    let d1 = d * Float(sc), m1 = dmin * Float(m)
                    let shift = UInt8(4 * (j % 2))
                    for l in 0 ..< 32 {
                        let low = (byte(block, 48 + 32 * (j / 2) + l) >> shift) & 0x0F
                        let high = (byte(block, 16 + l) >> j) & 1
                        out[32 * j + l] = d1 * Float(low | (high << 4)) - m1
                    }
                }
            }
        }
    }
}
