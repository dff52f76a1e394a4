import Foundation
import PareTensor

// The matrix products of a Linear layer's forward and backward pass, all through `sgemm`
// (so they get the fast kernel), for x [batch, in], W [out, in], dY [batch, out].

/// y = x · Wᵀ + b  → [batch, out].
func linearForward(_ x: Tensor, _ w: Tensor, _ b: [Float]?) -> Tensor {
    precondition(w.columns == x.columns, "input width \(x.columns) ≠ layer input \(w.columns)")
    var y = matmul(x, w, transposeB: true)
    if let b {
        let outWidth = w.rows
        y.data.withUnsafeMutableBufferPointer { yp in
            for r in 0..<x.rows { for j in 0..<outWidth { yp[r * outWidth + j] += b[j] } }
        }
    }
    return y
}

/// dW = dYᵀ · x  → [out, in].
func weightGradient(_ dY: Tensor, _ x: Tensor) -> Tensor { matmul(dY, x, transposeA: true) }

/// dX = dY · W  → [batch, in].
func inputGradient(_ dY: Tensor, _ w: Tensor) -> Tensor { matmul(dY, w) }

/// db = Σ_rows dY  → [out].
func biasGradient(_ dY: Tensor) -> [Float] {
    let (batch, outWidth) = (dY.rows, dY.columns)
    var db = [Float](repeating: 0, count: outWidth)
    dY.data.withUnsafeBufferPointer { dp in
        db.withUnsafeMutableBufferPointer { bp in
            for r in 0..<batch { for j in 0..<outWidth { bp[j] += dp[r * outWidth + j] } }
        }
    }
    return db
}

/// a ⊙= b, elementwise (shapes must hold the same count).
func multiplyInPlace(_ a: inout Tensor, _ b: Tensor) {
    precondition(a.count == b.count, "elementwise product of \(a.shape) and \(b.shape)")
    a.data.withUnsafeMutableBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            for i in 0..<ap.count { ap[i] *= bp[i] }
        }
    }
}

/// a += b, elementwise.
func addInPlace(_ a: inout Tensor, _ b: Tensor) {
    precondition(a.count == b.count, "elementwise sum of \(a.shape) and \(b.shape)")
    a.data.withUnsafeMutableBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            for i in 0..<ap.count { ap[i] += bp[i] }
        }
    }
}

extension Activation {
    /// f(z) as a new tensor (the same code `Model.forward` uses).
    func applied(_ z: Tensor) -> Tensor {
        var h = z
        apply(&h)
        return h
    }

    /// dZ = dH ⊙ f′(z), in place on `gradient`. ReLU′(0) = 0 as in PyTorch; GELU is the exact
    /// (erf) one: f′(z) = Φ(z) + z·φ(z).
    func backward(_ gradient: inout Tensor, preActivation z: Tensor) {
        precondition(gradient.count == z.count)
        gradient.data.withUnsafeMutableBufferPointer { g in
            z.data.withUnsafeBufferPointer { zp in
                switch self {
                case .relu:
                    for i in 0..<g.count where zp[i] <= 0 { g[i] = 0 }
                case .gelu:
                    let invSqrt2: Float = 0.70710678118654752
                    let invSqrt2Pi: Float = 0.39894228040143268
                    for i in 0..<g.count {
                        let v = zp[i]
                        let cdf = 0.5 * (1 + erf(v * invSqrt2))
                        let pdf = invSqrt2Pi * exp(-0.5 * v * v)
                        g[i] *= cdf + v * pdf
                    }
                }
            }
        }
    }
}
