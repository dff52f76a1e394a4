extension GGMLBlocks {
    /// `block_q2_K` (84 bytes, 256 values in 16 groups of 16):
    /// `uint8_t scales[16]; uint8_t qs[64]; ggml_half d; ggml_half dmin;` — group g has scale
    /// `d * (scales[g] & 0xF)` and minimum `dmin * (scales[g] >> 4)`. 2-bit codes: value i of
    /// the block (i = 128h + 32s + l, l < 32) is bits 2s…2s+1 of qs[32h + l]; value = scale * code − minimum.
    public enum Q2_K: GGMLBlockFormat {
        public static let type = GGMLType.q2_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 84
                let out = destination + b * 256
                let d = half(block, 80), dmin = half(block, 82)
                for g in 0 ..< 16 {
                    let sc = byte(block, g)
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    for k in 0 ..< 16 {
                        let i = g * 16 + k
                        let h = i / 128, s = (i / 32) % 4, l = i % 32
                        let q = (byte(block, 16 + 32 * h + l) >> (2 * s)) & 3
                        out[i] = dl * Float(q) - ml
                    }
                }
            }
        }
    }
}
