extension GGMLBlocks {
    /// `block_q6_K` (210 bytes, 256 values in 16 groups of 16):
    /// `uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d;` — value i = 128h + r
    /// has the low 4 bits of its 6-bit code in nibble r / 64 of ql[64h + r % 64] and the top 2
    /// bits in bits 2(r / 32)… of qh[32h + r % 32]; value = d * scales[i / 16] * (code − 32).
    public enum Q6_K: GGMLBlockFormat {
        public static let type = GGMLType.q6_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 210
                let out = destination + b * 256
                let d = half(block, 208)
                // ggml's loop order: each half of 128 values reads 64 bytes of ql and 32 of qh
                // and writes four values per l.
                for h in 0 ..< 2 {
                    let ql = 64 * h, qh = 128 + 32 * h, sc = 192 + 8 * h, y = out + 128 * h
                    for l in 0 ..< 32 {
                        let low0 = byte(block, ql + l), low1 = byte(block, ql + l + 32), high = byte(block, qh + l)
                        let q1 = Int((low0 & 0x0F) | ((high & 3) << 4)) - 32
                        let q2 = Int((low1 & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                        let q3 = Int((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32
                        let q4 = Int((low1 >> 4) | (((high >> 6) & 3) << 4)) - 32
                        let g = sc + l / 16
                        y[l] = d * Float(block.load(fromByteOffset: g, as: Int8.self)) * Float(q1)
                        y[l + 32] = d * Float(block.load(fromByteOffset: g + 2, as: Int8.self)) * Float(q2)
                        y[l + 64] = d * Float(block.load(fromByteOffset: g + 4, as: Int8.self)) * Float(q3)
                        y[l + 96] = d * Float(block.load(fromByteOffset: g + 6, as: Int8.self)) * Float(q4)
                    }
                }
            }
        }
    }
}
