import PareTensor

/// One Linear layer: y = x·Wᵀ + b, W in whatever encoding compression left it.
/// `name` is the PyTorch module path ("fc1"), so tensors are stored as "fc1.weight", "fc1.bias".
public struct LinearLayer: Sendable {
    public var name: String
    public var weight: any LinearWeight
    public var bias: [Float]?

    public init(name: String, weight: any LinearWeight, bias: [Float]?) {
        precondition(bias == nil || bias!.count == weight.outFeatures,
                     "bias of \(name) has \(bias!.count) entries for \(weight.outFeatures) outputs")
        self.name = name
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.inFeatures }
    public var outFeatures: Int { weight.outFeatures }

    public func forward(_ x: Tensor) -> Tensor {
        var y = weight.forward(x)
        if let bias {
            let n = outFeatures
            y.data.withUnsafeMutableBufferPointer { yp in
                for row in 0..<x.rows {
                    for j in 0..<n { yp[row * n + j] += bias[j] }
                }
            }
        }
        return y
    }
}

/// A feed-forward classifier: Linear layers with an activation between them (none after the
/// last). Models are named trees of modules; an MLP is the flat case, layers in order.
public struct Model: Sendable {
    public var layers: [LinearLayer]
    public var activation: Activation

    public init(layers: [LinearLayer], activation: Activation) {
        self.layers = layers
        self.activation = activation
    }

    /// [input, hidden…, output] widths as the layers really are (after any structural pruning).
    public var dims: [Int] { layers.isEmpty ? [] : [layers[0].inFeatures] + layers.map(\.outFeatures) }
    public var inputWidth: Int { layers.first?.inFeatures ?? 0 }
    public var classCount: Int { layers.last?.outFeatures ?? 0 }

    /// Logits for x of shape [batch, inputWidth].
    public func forward(_ x: Tensor) -> Tensor { forward(x, observer: nil) }

    /// Logits for x, telling `observer` each Linear layer's input before the layer runs: the one
    /// forward pass that calibration, statistics and per-layer features are taken from.
    public func forward(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        var h = x
        for (index, layer) in layers.enumerated() {
            h = layer(h, observer: observer)
            if index < layers.count - 1 { activation.apply(&h) }
        }
        return h
    }

    /// The architecture string Pare writes into `__metadata__` and accepts as `--arch`:
    /// "mlp:64,256,128,10:relu".
    public var archString: String { "mlp:" + dims.map(String.init).joined(separator: ",") + ":" + activation.rawValue }

    /// Weights of every layer, decoded to dense Float32.
    public func denseWeights() -> [Tensor] { layers.map { $0.weight.decoded() } }
}
