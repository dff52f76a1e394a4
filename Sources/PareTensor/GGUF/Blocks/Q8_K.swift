extension GGMLBlocks {
    /// `block_q8_K` (292 bytes, 256 values): `float d; int8_t qs[256]; int16_t bsums[16];` —
    /// value j is `d * qs[j]` (bsums, the sums of each 16 codes, only speed up dot products).
    /// ggml uses it for activations; it rarely appears in files.
    public enum Q8_K: GGMLBlockFormat {
        public static let type = GGMLType.q8_K

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for b in 0 ..< blocks {
                let block = source + b * 292
                let out = destination + b * 256
                let d = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
                for j in 0 ..< 256 { out[j] = d * Float(block.load(fromByteOffset: 4 + j, as: Int8.self)) }
            }
        }
    }
}
