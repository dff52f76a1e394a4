import PareTensor

/// Llama's SwiGLU block: down(act(gate(x)) · up(x)).
public struct GatedMLP: Sendable {
    public var gate: Linear
    public var up: Linear
    public var down: Linear
    public var activation: ActivationFunction

    public init(gate: Linear, up: Linear, down: Linear, activation: ActivationFunction = .silu) {
        self.gate = gate
        self.up = up
        self.down = down
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        down(hidden(x, observer: observer), observer: observer)
    }

    /// The input of `down`: act(gate(x))·up(x).
    func hidden(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        let gu = siblingProjections([gate, up], x, observer: observer)
        var g = gu[0]
        activation.apply(&g)
        g.multiply(gu[1])
        return g
    }
}

/// The plain two-layer block: down(act(up(x))) (BERT's intermediate/output, GPT-2's c_fc/c_proj).
public struct PlainMLP: Sendable {
    public var up: Linear
    public var down: Linear
    public var activation: ActivationFunction

    public init(up: Linear, down: Linear, activation: ActivationFunction) {
        self.up = up
        self.down = down
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        down(hidden(x, observer: observer), observer: observer)
    }

    /// The input of `down`: act(up(x)).
    func hidden(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        var h = up(x, observer: observer)
        activation.apply(&h)
        return h
    }
}

/// Either feed-forward block, so one decoder layer type serves SwiGLU and plain-MLP models.
public enum FeedForward: Sendable {
    case gated(GatedMLP)
    case plain(PlainMLP)

    func callAsFunction(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        switch self {
        case .gated(let m): m(x, observer: observer)
        case .plain(let m): m(x, observer: observer)
        }
    }

    var linears: [Linear] {
        switch self {
        case .gated(let m): [m.gate, m.up, m.down]
        case .plain(let m): [m.up, m.down]
        }
    }

    mutating func mapLinears(_ transform: (Linear) throws -> Linear) rethrows {
        switch self {
        case .gated(var m):
            m.gate = try transform(m.gate)
            m.up = try transform(m.up)
            m.down = try transform(m.down)
            self = .gated(m)
        case .plain(var m):
            m.up = try transform(m.up)
            m.down = try transform(m.down)
            self = .plain(m)
        }
    }
}

/// Either normalisation, so one decoder layer type serves RMSNorm and LayerNorm models.
public enum Normalization: Sendable {
    case rms(RMSNorm)
    case layer(LayerNorm)

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .rms(let n): n(x)
        case .layer(let n): n(x)
        }
    }
}
