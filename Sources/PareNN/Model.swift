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

/// A model: a tree of named modules whose Linear leaves carry weights in any encoding. Two
/// kinds exist: the MLP classifier (Linear layers `fc1`, `fc2`, … with one activation between
/// them, none after the last) and a transformer (`TransformerModel`: a decoder LM or an
/// encoder, its leaves at their Hugging Face paths).
///
/// Compression methods see every kind the same way, through `layers`: the Linear leaves in
/// forward order, each named by its module path. Setting `layers` writes the leaves back in
/// place (same count and order; a transformer's leaves must keep their shapes).
public struct Model: Sendable {
    public enum Body: Sendable {
        case mlp([LinearLayer])
        case transformer(TransformerModel)
    }

    public var body: Body
    /// The MLP's nonlinearity (a transformer's activations live in its blocks).
    public var activation: Activation

    public init(layers: [LinearLayer], activation: Activation) {
        self.body = .mlp(layers)
        self.activation = activation
    }

    public init(transformer: TransformerModel) {
        self.body = .transformer(transformer)
        self.activation = .relu
    }

    /// The transformer, when this model is one.
    public var transformer: TransformerModel? {
        if case .transformer(let t) = body { return t }
        return nil
    }

    public var isTransformer: Bool { transformer != nil }

    /// Every Linear leaf in forward order, named by its module path.
    public var layers: [LinearLayer] {
        get {
            switch body {
            case .mlp(let layers): layers
            case .transformer(let t): t.linears
            }
        }
        set {
            switch body {
            case .mlp: body = .mlp(newValue)
            case .transformer(var t):
                precondition(newValue.count == t.linears.count, "a transformer's Linear leaves cannot be added or removed")
                var index = 0
                t.mapLinears { old in
                    defer { index += 1 }
                    var replacement = newValue[index]
                    precondition(replacement.inFeatures == old.inFeatures && replacement.outFeatures == old.outFeatures,
                                 "\(old.name): a transformer's Linear leaves keep their shapes")
                    replacement.name = old.name
                    return replacement
                }
                body = .transformer(t)
            }
        }
    }

    /// The Linear leaves a method touches when its `layers=` is not given: all of an MLP's;
    /// a transformer's inside its blocks (never the embeddings or `lm_head`).
    public var defaultLayerNames: [String] {
        switch body {
        case .mlp(let layers): layers.map(\.name)
        case .transformer(let t): t.blockLinearPaths
        }
    }

    /// [input, hidden…, output] widths of an MLP as the layers really are (after any structural pruning).
    public var dims: [Int] {
        guard case .mlp(let layers) = body, !layers.isEmpty else { return [] }
        return [layers[0].inFeatures] + layers.map(\.outFeatures)
    }
    public var inputWidth: Int { isTransformer ? 0 : (layers.first?.inFeatures ?? 0) }
    public var classCount: Int { isTransformer ? 0 : (layers.last?.outFeatures ?? 0) }

    /// An MLP's logits for x of shape [batch, inputWidth].
    public func forward(_ x: Tensor) -> Tensor { forward(x, observer: nil) }

    /// An MLP's logits for x, telling `observer` each Linear layer's input before the layer
    /// runs: the one forward pass that calibration, statistics and per-layer features are taken
    /// from. (A transformer runs through its own forward, with the same observer.)
    public func forward(_ x: Tensor, observer: LinearInputObserver?) -> Tensor {
        precondition(!isTransformer, "Model.forward runs an MLP; a transformer runs through its own forward")
        let layers = self.layers
        var h = x
        for (index, layer) in layers.enumerated() {
            h = layer(h, observer: observer)
            if index < layers.count - 1 { activation.apply(&h) }
        }
        return h
    }

    /// The architecture in one line: "mlp:64,256,128,10:relu" for an MLP (the form `--arch`
    /// accepts), the `model_type` for a transformer.
    public var archString: String {
        if let t = transformer { return t.modelType }
        return "mlp:" + dims.map(String.init).joined(separator: ",") + ":" + activation.rawValue
    }

    /// Weights of every Linear leaf, decoded to dense Float32.
    public func denseWeights() -> [Tensor] { layers.map { $0.weight.decoded() } }
}
