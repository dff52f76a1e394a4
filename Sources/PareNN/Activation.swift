import PareTensor

/// The nonlinearity between an MLP's hidden layers: the two of `ActivationFunction` an MLP
/// architecture string can name ("mlp:…:relu", "mlp:…:gelu"), computed by the same kernels.
public enum Activation: String, CaseIterable, Codable, Sendable {
    case relu, gelu

    /// The transformer activation that computes this one (gelu is the exact erf GELU, as
    /// torch.nn.GELU() computes it by default).
    public var function: ActivationFunction {
        switch self {
        case .relu: .relu
        case .gelu: .gelu
        }
    }

    public func apply(_ x: inout Tensor) { function.apply(&x) }
}
