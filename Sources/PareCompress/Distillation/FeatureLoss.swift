import Foundation
import PareTensor

/// FitNets-style feature distillation: the student's hidden representation h_s [B, d_s],
/// mapped through a learned linear projection P [d_t, d_s] (PyTorch `nn.Linear(d_s, d_t,
/// bias=False)` layout, so P can be stored and trained like any Linear weight), should match
/// the teacher's hidden representation h_t [B, d_t]:
///
///     L = mean over the B·d_t entries of (h_s·Pᵀ − h_t)²      (torch.nn.MSELoss())
///     G = ∂L/∂(h_s·Pᵀ) = 2·(h_s·Pᵀ − h_t)/(B·d_t)
///     ∂L/∂h_s = G·P   [B, d_s]        ∂L/∂P = Gᵀ·h_s   [d_t, d_s]
///
/// The distillation method weights it by `beta` and adds ∂L/∂h_s to the gradient flowing back
/// into the student's hidden layer.
public enum FeatureLoss {
    public static func lossAndGradients(studentHidden hs: Tensor, projection p: Tensor, teacherHidden ht: Tensor)
        -> (loss: Double, studentGradient: Tensor, projectionGradient: Tensor) {
        let b = hs.rows, ds = hs.columns, dt = ht.columns
        precondition(ht.rows == b, "student batch \(b) ≠ teacher batch \(ht.rows)")
        precondition(p.shape == [dt, ds], "projection must be [\(dt), \(ds)], got \(p.shape)")
        let scale = 2 / Double(b * dt)
        var loss = 0.0
        var g = [Double](repeating: 0, count: b * dt)
        for r in 0..<b {
            for o in 0..<dt {
                var z = 0.0
                for i in 0..<ds { z += Double(hs.data[r * ds + i]) * Double(p.data[o * ds + i]) }
                let diff = z - Double(ht.data[r * dt + o])
                loss += diff * diff
                g[r * dt + o] = scale * diff
            }
        }
        var gradH = Tensor(zeros: [b, ds])
        for r in 0..<b {
            for i in 0..<ds {
                var s = 0.0
                for o in 0..<dt { s += g[r * dt + o] * Double(p.data[o * ds + i]) }
                gradH.data[r * ds + i] = Float(s)
            }
        }
        var gradP = Tensor(zeros: [dt, ds])
        for o in 0..<dt {
            for i in 0..<ds {
                var s = 0.0
                for r in 0..<b { s += g[r * dt + o] * Double(hs.data[r * ds + i]) }
                gradP.data[o * ds + i] = Float(s)
            }
        }
        return (loss / Double(b * dt), gradH, gradP)
    }

    /// A starting projection [d_t, d_s], uniform in ±1/√d_s as `nn.Linear` initializes,
    /// deterministic in `seed`.
    public static func initialProjection(studentWidth ds: Int, teacherWidth dt: Int, seed: UInt64) -> Tensor {
        var state = seed ^ 0x5EED_F17E
        let bound = 1 / Double(ds).squareRoot()
        let values = (0..<(dt * ds)).map { _ -> Float in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float((Double(z >> 11) / Double(1 << 53) * 2 - 1) * bound)
        }
        return Tensor(shape: [dt, ds], data: values)
    }
}
