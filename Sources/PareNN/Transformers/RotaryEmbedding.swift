import Foundation
import PareTensor

/// Rotary position embedding in Hugging Face's `rotate_half` layout: dimension i of a head is
/// paired with dimension i + headDim/2 (not with its neighbour, as llama.cpp's GGUF layout is),
/// rotated by the angle position · θ^(−2i/rotaryDim).
public struct RotaryEmbedding: Sendable, Equatable {
    public var headDim: Int
    /// `rope_theta`, the base of the frequencies.
    public var theta: Double

    public init(headDim: Int, theta: Double) {
        precondition(headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        self.headDim = headDim
        self.theta = theta
    }

    /// The inverse frequencies θ^(−2i/d) for i < d/2, rounded to Float32 as HF computes them,
    /// so angles (also Float32 products, as in HF) round identically at long positions.
    var inverseFrequencies: [Float] {
        (0..<headDim / 2).map { Float(1 / pow(theta, Double(Float(2 * $0) / Float(headDim)))) }
    }

    /// cos and sin of every (position, frequency) pair, one row per position.
    func table(positions: [Int]) -> RotaryTable {
        let half = headDim / 2, inv = inverseFrequencies
        var cos = [Float](repeating: 0, count: positions.count * half)
        var sin = cos
        for (r, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(Float(p) * inv[i])
                cos[r * half + i] = Float(Foundation.cos(angle))
                sin[r * half + i] = Float(Foundation.sin(angle))
            }
        }
        return RotaryTable(half: half, cos: cos, sin: sin)
    }
}

/// Precomputed rotations for the rows of one forward pass (row r at the position given for r),
/// shared by every layer.
public struct RotaryTable: Sendable {
    let half: Int
    let cos: [Float]
    let sin: [Float]

    /// Rotates every head of every row of `x` [rows, heads·2·half] in place:
    /// (a, b) → (a·cos − b·sin, b·cos + a·sin) for a = x[i], b = x[i + half].
    func apply(to x: inout Tensor, heads: Int) {
        let rows = x.rows, width = x.columns, half = self.half, d = 2 * half
        precondition(width == heads * d && rows * half == cos.count, "RoPE table does not fit \(x.shape)")
        x.data.withUnsafeMutableBufferPointer { xb in
            cos.withUnsafeBufferPointer { cb in
                sin.withUnsafeBufferPointer { sb in
                    let xp = xb.baseAddress!
                    for r in 0..<rows {
                        let c = cb.baseAddress! + r * half, s = sb.baseAddress! + r * half
                        for h in 0..<heads {
                            let a = xp + r * width + h * d, b = a + half
                            var i = 0
                            let w = VectorKernels.width
                            while i + w <= half {
                                let av = VectorKernels.load(a + i), bv = VectorKernels.load(b + i)
                                let cv = VectorKernels.load(c + i), sv = VectorKernels.load(s + i)
                                VectorKernels.store(av * cv - bv * sv, a + i)
                                VectorKernels.store(bv * cv + av * sv, b + i)
                                i += w
                            }
                            while i < half {
                                let av = a[i], bv = b[i]
                                a[i] = av * c[i] - bv * s[i]
                                b[i] = bv * c[i] + av * s[i]
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
