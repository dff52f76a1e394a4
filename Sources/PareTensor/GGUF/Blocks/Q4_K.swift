extension GGMLBlocks {
    /// `block_q4_K` (144 bytes, 256 values in 8 groups of 32):
    /// `ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qs[128];` — group j has a 6-bit
    /// scale and a 6-bit minimum packed in scales[] (`get_scale_min_k4`), step `d * scale` and
    /// offset `dmin * minimum`. Group j's 4-bit codes are the low (j even) or high (j odd)
    /// nibbles of qs[32(j / 2) ..< 32(j / 2) + 32]; value = step * code − offset.
    public enum Q4_K: GGMLBlockFormat {
        public static let type = GGMLType.q4_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 144
                let out = destination + b * 256
                let d = half(block, 0), dmin = half(block, 2)
                for j in 0 ..< 8 {
                    let (sc, m) = scaleMin(block + 4, j)
                    let d1 = d * Float(sc), m1 = dmin * Float(m)
                    let shift = UInt8(4 * (j % 2))
                    for l in 0 ..< 32 {
                        let q = (byte(block, 16 + 32 * (j / 2) + l) >> shift) & 0x0F
                        out[32 * j + l] = d1 * Float(q) - m1
                    }
                }
            }
        }
    }

    /// ggml's `get_scale_min_k4`: the 6-bit scale and minimum of group j from the 12 packed
    /// bytes q shared by Q4_K and Q5_K — groups 0–3 in the low 6 bits of q[j] and q[j + 4],
    /// groups 4–7 in the nibbles of q[j + 4] with their top 2 bits in q[j − 4] and q[j].
    @inline(__always)
    static func scaleMin(_ q: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
        if j < 4 {
            return (byte(q, j) & 63, byte(q, j + 4) & 63)
        }
        let sc = (byte(q, j + 4) & 0x0F) | ((byte(q, j - 4) >> 6) << 4)
        let m = (byte(q, j + 4) >> 4) | ((byte(q, j) >> 6) << 4)
        return (sc, m)
    }
}
