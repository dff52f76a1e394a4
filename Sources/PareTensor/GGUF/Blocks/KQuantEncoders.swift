/// Encoders of Q4_K and Q6_K: ggml's `quantize_row_q4_K_ref` and `quantize_row_q6_K_ref` (what
/// llama-quantize uses without an importance matrix), through the fits in `KQuantFit`.
extension GGMLBlocks.Q4_K: GGMLBlockQuantizer {
    /// Each group of 32 gets an affine fit weighted by rms(x) + |x|; the 8 scales and 8 minimums
    /// are then quantized to 6 bits against the block's largest (d = max scale / 63, dmin = max
    /// min / 63), and every value re-coded against its group's 6-bit scale and minimum.
    public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
        var L = [UInt8](repeating: 0, count: 256)
        var weights = [Float](repeating: 0, count: 32)
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        for b in 0..<blocks {
            let x = source + b * 256
            let block = destination + b * 144
            var maxScale: Float = 0, maxMin: Float = 0
            L.withUnsafeMutableBufferPointer { codes in
                weights.withUnsafeMutableBufferPointer { w in
                    for j in 0..<8 {
                        let g = x + 32 * j
                        var sumX2: Float = 0
                        for l in 0..<32 { sumX2 += g[l] * g[l] }
                        let avX = (sumX2 / 32).squareRoot()
                        for l in 0..<32 { w[l] = avX + abs(g[l]) }
                        let fit = KQuantFit.affine(g, count: 32, nmax: 15, weights: w.baseAddress!, codes: codes.baseAddress! + 32 * j,
                                                   rmin: -1, rdelta: 0.1, nstep: 20)
                        scales[j] = fit.scale
                        mins[j] = fit.theMin
                        if fit.scale > maxScale { maxScale = fit.scale }
                        if fit.theMin > maxMin { maxMin = fit.theMin }
                    }
                }
            }
            let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
            let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
            var packed = [UInt8](repeating: 0, count: 12)
            for j in 0..<8 {
                // C stores nearest_int's int in a uint8_t (wrapping) before taking MIN(63, ·).
                let ls = min(63, UInt8(truncatingIfNeeded: KQuantFit.nearestInt(invScale * scales[j])))
                let lm = min(63, UInt8(truncatingIfNeeded: KQuantFit.nearestInt(invMin * mins[j])))
                if j < 4 {
                    packed[j] = ls
                    packed[j + 4] = lm
                } else {
                    packed[j + 4] = (ls & 0x0F) | ((lm & 0x0F) << 4)
                    packed[j - 4] |= (ls >> 4) << 6
                    packed[j] |= (lm >> 4) << 6
                }
            }
            GGMLBlocks.storeHalf(maxScale / 63, block, 0)
            GGMLBlocks.storeHalf(maxMin / 63, block, 2)
            for (i, byte) in packed.enumerated() { block.storeBytes(of: byte, toByteOffset: 4 + i, as: UInt8.self) }
            let d = GGMLBlocks.half(UnsafeRawPointer(block), 0), dmin = GGMLBlocks.half(UnsafeRawPointer(block), 2)
            for j in 0..<8 {
                let (sc, m) = GGMLBlocks.scaleMin(UnsafeRawPointer(block) + 4, j)
                let step = d * Float(sc)
                if step == 0 { continue }
                let offset = dmin * Float(m)
                for i in 0..<32 {
                    L[32 * j + i] = UInt8(max(0, min(15, KQuantFit.nearestInt((x[32 * j + i] + offset) / step))))
                }
            }
            for j in stride(from: 0, to: 256, by: 64) {
                for l in 0..<32 {
                    block.storeBytes(of: L[j + l] | (L[j + l + 32] << 4), toByteOffset: 16 + j / 2 + l, as: UInt8.self)
                }
            }
        }
    }
}

extension GGMLBlocks.Q6_K: GGMLBlockQuantizer {
    /// Each group of 16 gets a symmetric 6-bit fit (`make_qx_quants`, weights x²); the 16 scales
    /// become int8 against the largest in magnitude (d = −max / 128), and every value is re-coded
    /// against its group's int8 scale.
    public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
        var L = [Int8](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16)
        for b in 0..<blocks {
            let x = source + b * 256
            let block = destination + b * 210
            var maxScale: Float = 0, maxAbsScale: Float = 0
            L.withUnsafeMutableBufferPointer { codes in
                for g in 0..<16 {
                    let scale = KQuantFit.symmetric(x + 16 * g, count: 16, nmax: 32, codes: codes.baseAddress! + 16 * g)
                    scales[g] = scale
                    if abs(scale) > maxAbsScale {
                        maxAbsScale = abs(scale)
                        maxScale = scale
                    }
                }
            }
            if maxAbsScale < KQuantFit.groupMaxEps {
                block.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
                continue
            }
            let iscale = -128 / maxScale
            GGMLBlocks.storeHalf(1 / iscale, block, 208)
            for g in 0..<16 {
                let s = Int8(truncatingIfNeeded: min(127, KQuantFit.nearestInt(iscale * scales[g])))
                block.storeBytes(of: s, toByteOffset: 192 + g, as: Int8.self)
            }
            let d = GGMLBlocks.half(UnsafeRawPointer(block), 208)
            for g in 0..<16 {
                let step = d * Float(block.load(fromByteOffset: 192 + g, as: Int8.self))
                if step == 0 { continue }
                for i in 0..<16 {
                    L[16 * g + i] = Int8(max(-32, min(31, KQuantFit.nearestInt(x[16 * g + i] / step))) + 32)
                }
            }
            for h in 0..<2 {
                let j = 128 * h
                for l in 0..<32 {
                    let q = (0..<4).map { UInt8(bitPattern: L[j + l + 32 * $0]) }
                    block.storeBytes(of: (q[0] & 0x0F) | ((q[2] & 0x0F) << 4), toByteOffset: 64 * h + l, as: UInt8.self)
                    block.storeBytes(of: (q[1] & 0x0F) | ((q[3] & 0x0F) << 4), toByteOffset: 64 * h + l + 32, as: UInt8.self)
                    block.storeBytes(of: (q[0] >> 4) | ((q[1] >> 4) << 2) | ((q[2] >> 4) << 4) | ((q[3] >> 4) << 6),
                                     toByteOffset: 128 + 32 * h + l, as: UInt8.self)
                }
            }
        }
    }
}
