extension GGMLBlocks {
    /// `block_q3_K` (110 bytes, 256 values in 16 groups of 16):
    /// `uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; ggml_half d;` — group k's 6-bit
    /// scale is the low (k < 8) or high (k ≥ 8) nibble of scales[k % 8] plus, as bits 4–5,
    /// bits 2(k / 4)… of scales[8 + k % 4], minus 32; the group's step is d * scale. Value i
    /// (i = 128h + 32s + l, l < 32) has the 2-bit code bits 2s…2s+1 of qs[32h + l], less 4
    /// when bit i / 32 of hmask[l] is clear; value = step * code.
    public enum Q3_K: GGMLBlockFormat {
        public static let type = GGMLType.q3_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 110
                let out = destination + b * 256
                let d = half(block, 108)
                for g in 0 ..< 16 {
                    let packed = byte(block, 96 + g % 8)
                    let low = g < 8 ? packed & 0x0F : packed >> 4
                    let high = (byte(block, 96 + 8 + g % 4) >> (2 * (g / 4))) & 3
                    let dl = d * Float(Int(low | (high << 4)) - 32)
                    for k in 0 ..< 16 {
                        let i = g * 16 + k
                        let h = i / 128, s = (i / 32) % 4, l = i % 32
                        let q = Int((byte(block, 32 + 32 * h + l) >> (2 * s)) & 3)
                        let highBit = (byte(block, l) >> (i / 32)) & 1
                        out[i] = dl * Float(q - (highBit == 1 ? 0 : 4))
                    }
                }
            }
        }
    }
}
