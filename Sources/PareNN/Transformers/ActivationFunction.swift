import Foundation
import PareTensor

/// A transformer's nonlinearity, named as Hugging Face's `hidden_act` names it.
public enum ActivationFunction: String, Codable, Sendable, CaseIterable {
    case relu
    /// The exact GELU, x·Φ(x) with the error function (`hidden_act: "gelu"`, BERT).
    case gelu
    /// GELU's tanh approximation (`gelu_new`, `gelu_pytorch_tanh`, GPT-2).
    case geluTanh = "gelu_new"
    /// x·σ(x) (`silu` / `swish`, Llama's SwiGLU gate).
    case silu

    /// The activation for a `hidden_act` string, accepting HF's aliases; nil when unknown.
    public init?(huggingFaceName name: String) {
        switch name {
        case "relu": self = .relu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// Applies the activation to every value of `x`.
    public func apply(_ x: inout Tensor) {
        let n = x.count
        x.data.withUnsafeMutableBufferPointer { apply($0.baseAddress!, count: n) }
    }

    func apply(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        typealias V = VectorKernels.Vec
        let w = VectorKernels.width
        var i = 0
        switch self {
        case .relu:
            while i + w <= n {
                VectorKernels.store(pointwiseMax(VectorKernels.load(p + i), V(repeating: 0)), p + i)
                i += w
            }
            while i < n { p[i] = Swift.max(p[i], 0); i += 1 }
        case .gelu:
            // erf has no SIMD form in the standard library; the scalar libm erf keeps it exact.
            let invSqrt2: Float = 0.70710678118654752
            while i < n { let v = p[i]; p[i] = 0.5 * v * (1 + erf(v * invSqrt2)); i += 1 }
        case .geluTanh:
            // 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³).
            let c: Float = 0.7978845608028654
            while i + w <= n {
                let v = VectorKernels.load(p + i)
                let u = c * (v + 0.044715 * v * v * v)
                VectorKernels.store(v / (1 + VectorKernels.exp(-2 * u)), p + i)
                i += w
            }
            while i < n {
                let v = p[i], u = c * (v + 0.044715 * v * v * v)
                p[i] = v / (1 + VectorKernels.exp(-2 * u))
                i += 1
            }
        case .silu:
            while i + w <= n {
                let v = VectorKernels.load(p + i)
                VectorKernels.store(v / (1 + VectorKernels.exp(-v)), p + i)
                i += w
            }
            while i < n { let v = p[i]; p[i] = v / (1 + VectorKernels.exp(-v)); i += 1 }
        }
    }

    /// The activation of one value in plain scalar arithmetic, the reference the tests hold the
    /// SIMD paths to.
    public func reference(_ v: Float) -> Float {
        let x = Double(v)
        switch self {
        case .relu: return Swift.max(v, 0)
        case .gelu: return Float(0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())))
        case .geluTanh: return Float(0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))))
        case .silu: return Float(x / (1 + Foundation.exp(-x)))
        }
    }
}
