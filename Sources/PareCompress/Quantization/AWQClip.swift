import Foundation
import PareTensor

/// AWQ's second step, the clipping search (the reference's `auto_clip_layer`): for each
/// quantization group of each row, the range ±max|w| is shrunk by factors 1, 1 − 1/grid, …,
/// 1 − (⌊maxShrink·grid⌋ − 1)/grid (20 steps of 5 % down to 0.55 by default, as the
/// reference), and the factor whose quantized group gives the smallest error in the group's own
/// partial output Σ_{j∈g} x_j·w_j over the calibration tokens is kept. The error of a group is
/// δᵀ·G_g·δ with δ = Q(clamp(w)) − w and G_g the group's diagonal block of XᵀX: every token
/// counts (the reference subsamples 512), and the sum over tokens has the same argmin as the
/// reference's mean. Factor 1 is no clipping, so each group's error never grows.
public enum AWQClip {
    public struct Search: Sendable {
        /// The chosen shrink step of each (row, group), row-major: the range is ±max|w|·(1 − step/grid).
        public var steps: [Int]
        /// The clipping bound of each (row, group).
        public var maxValues: [Float]
        /// Σ over groups of the chosen error, and of step 0's (plain RTN).
        public var error: Double
        public var unclippedError: Double
        public var groupSize: Int
        public var grid: Int

        /// The mean clipping ratio max_clipped / max|w| over groups.
        public var meanRatio: Double {
            steps.isEmpty ? 1 : steps.reduce(0.0) { $0 + 1 - Double($1) / Double(grid) } / Double(steps.count)
        }
    }

    /// Searches the clipping of `weight` ([out, in]) reading inputs whose Gram matrix XᵀX is
    /// `gram` ([in × in], row-major), for groups of `groupSize` columns quantized with `format`.
    public static func search(weight: Tensor, gram: [Double], format: QuantFormat, groupSize: Int,
                              grid: Int = 20, maxShrink: Double = 0.5) -> Search {
        let rows = weight.rows, k = weight.columns, gs = groupSize
        precondition(k % gs == 0 && gram.count == k * k, "AWQClip: \(k) columns, group \(gs), gram \(gram.count)")
        let groups = k / gs
        let stepCount = max(1, Int(maxShrink * Double(grid)))
        // The diagonal blocks G_g, contiguous, so each error is a dense gs×gs quadratic form.
        var blocks = [Double](repeating: 0, count: groups * gs * gs)
        for g in 0..<groups {
            for a in 0..<gs {
                for b in 0..<gs { blocks[(g * gs + a) * gs + b] = gram[(g * gs + a) * k + g * gs + b] }
            }
        }
        var steps = [Int](repeating: 0, count: rows * groups)
        var maxValues = [Float](repeating: 0, count: rows * groups)
        var chosen = [Double](repeating: 0, count: rows * groups)
        var unclipped = [Double](repeating: 0, count: rows * groups)
        let factors = (0..<stepCount).map { Float(1 - Double($0) / Double(grid)) }
        weight.data.withUnsafeBufferPointer { wp in
            blocks.withUnsafeBufferPointer { bp in
                steps.withUnsafeMutableBufferPointer { sp in
                    maxValues.withUnsafeMutableBufferPointer { mp in
                        chosen.withUnsafeMutableBufferPointer { cp in
                            unclipped.withUnsafeMutableBufferPointer { up in
                                let sweep = ClipRowSweep(weight: wp.baseAddress!, blocks: bp.baseAddress!, steps: sp.baseAddress!,
                                                         maxValues: mp.baseAddress!, chosen: cp.baseAddress!, unclipped: up.baseAddress!,
                                                         columns: k, groupSize: gs, factors: factors, format: format)
                                // Rows are independent: split them across the cores.
                                let chunks = min(rows, 2 * ProcessInfo.processInfo.activeProcessorCount)
                                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                    sweep.rows((rows * c / chunks)..<(rows * (c + 1) / chunks))
                                }
                            }
                        }
                    }
                }
            }
        }
        return Search(steps: steps, maxValues: maxValues, error: chosen.reduce(0, +),
                      unclippedError: unclipped.reduce(0, +), groupSize: gs, grid: grid)
    }

    /// `weight` with each (row, group) clamped to ±`maxValues` of `search`.
    public static func clamped(_ weight: Tensor, _ search: Search) -> Tensor {
        var out = weight
        let k = weight.columns, gs = search.groupSize, groups = k / gs
        for r in 0..<weight.rows {
            for j in 0..<k {
                let m = search.maxValues[r * groups + j / gs]
                out.data[r * k + j] = min(max(out.data[r * k + j], -m), m)
            }
        }
        return out
    }

    /// The search over a range of rows (raw pointers into the caller's arrays; each row writes
    /// only its own groups' entries, so row ranges run on separate threads).
    private struct ClipRowSweep: @unchecked Sendable {
        let weight: UnsafePointer<Float>, blocks: UnsafePointer<Double>
        let steps: UnsafeMutablePointer<Int>, maxValues: UnsafeMutablePointer<Float>
        let chosen: UnsafeMutablePointer<Double>, unclipped: UnsafeMutablePointer<Double>
        let columns: Int, groupSize: Int, factors: [Float], format: QuantFormat

        func rows(_ range: Range<Int>) {
            let gs = groupSize, groups = columns / gs
            var delta = [Double](repeating: 0, count: gs)
            for r in range {
                for g in 0..<groups {
                    let w = weight + r * columns + g * gs
                    var maxAbs: Float = 0
                    for j in 0..<gs { maxAbs = max(maxAbs, abs(w[j])) }
                    let at = r * groups + g
                    var best = Double.infinity
                    for (step, f) in factors.enumerated() {
                        let bound = maxAbs * f
                        let e = groupError(w, gs, bound: bound, format: format, block: blocks + g * gs * gs, delta: &delta)
                        if step == 0 { unclipped[at] = e }
                        // Strictly smaller, as the reference: a tie keeps the wider range.
                        if e < best { best = e; steps[at] = step; maxValues[at] = bound }
                    }
                    chosen[at] = best
                }
            }
        }
    }

    /// δᵀ·G·δ for δ = Q(clamp(w, ±bound)) − w over one group, Q fitted to the clamped group
    /// by the same rules as `QuantParams.fit` (so the search scores what is finally stored).
    @inline(__always)
    static func groupError(_ w: UnsafePointer<Float>, _ gs: Int, bound: Float, format: QuantFormat,
                           block: UnsafePointer<Double>, delta: inout [Double]) -> Double {
        var lo: Float = 0, hi: Float = 0
        for j in 0..<gs {
            let c = min(max(w[j], -bound), bound)
            lo = min(lo, c); hi = max(hi, c)
        }
        let p = format.params(min: lo, max: hi)
        for j in 0..<gs {
            let c = min(max(w[j], -bound), bound)
            let q = format.dequantize(format.quantize(c, scale: p.scale, zeroPoint: p.zeroPoint), scale: p.scale, zeroPoint: p.zeroPoint)
            delta[j] = Double(q - w[j])
        }
        return delta.withUnsafeBufferPointer { d in quadraticForm(block, d.baseAddress!, gs) }
    }

    /// dᵀ·G·d for a dense symmetric n×n G, four lanes at a time.
    @inline(__always)
    static func quadraticForm(_ g: UnsafePointer<Double>, _ d: UnsafePointer<Double>, _ n: Int) -> Double {
        var total = 0.0
        let n4 = n & ~3
        for a in 0..<n where d[a] != 0 {
            let row = g + a * n
            var lanes = SIMD4<Double>()
            var b = 0
            while b < n4 {
                lanes += SIMD4(row[b], row[b + 1], row[b + 2], row[b + 3]) * SIMD4(d[b], d[b + 1], d[b + 2], d[b + 3])
                b += 4
            }
            var partial = lanes.sum()
            while b < n { partial += row[b] * d[b]; b += 1 }
            total += d[a] * partial
        }
        return total
    }
}
