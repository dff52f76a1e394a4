import Foundation
import PareTensor

/// The nonlinearity between hidden layers.
public enum Activation: String, CaseIterable, Codable, Sendable {
    case relu, gelu

    public func apply(_ x: inout Tensor) {
        switch self {
        case .relu:
            for i in x.data.indices where x.data[i] < 0 { x.data[i] = 0 }
        case .gelu:
            // The exact (erf) GELU, as torch.nn.GELU() computes it by default.
            for i in x.data.indices {
                let v = x.data[i]
                x.data[i] = 0.5 * v * (1 + erf(v / 2.0.squareRoot().asFloat))
            }
        }
    }
}

extension Double {
    var asFloat: Float { Float(self) }
}
