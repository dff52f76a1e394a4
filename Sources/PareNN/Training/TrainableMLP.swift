import PareTensor

/// The dense, trainable form of an MLP: Float32 weights [out, in] and biases per layer,
/// the activation between layers (none after the last). Training, fine-tuning, QAT and
/// distillation work on this form; `model()` turns it back into a `Model`.
public struct TrainableMLP: Sendable {
    public var weights: [Tensor]
    public var biases: [[Float]]
    public var activation: Activation
    public var names: [String]

    public init(weights: [Tensor], biases: [[Float]], activation: Activation, names: [String]? = nil) {
        precondition(!weights.isEmpty, "an MLP needs at least one layer")
        precondition(weights.count == biases.count, "\(weights.count) weights for \(biases.count) biases")
        for (i, w) in weights.enumerated() {
            precondition(w.rank == 2 && biases[i].count == w.rows, "layer \(i): weight \(w.shape), bias \(biases[i].count)")
            if i > 0 { precondition(w.columns == weights[i - 1].rows, "layer \(i) takes \(w.columns) inputs, layer \(i - 1) gives \(weights[i - 1].rows)") }
        }
        self.weights = weights
        self.biases = biases
        self.activation = activation
        self.names = names ?? (1...weights.count).map { "fc\($0)" }
        precondition(self.names.count == weights.count, "\(self.names.count) names for \(weights.count) layers")
    }

    /// Decodes every layer of `model` to dense Float32 (a missing bias becomes zeros).
    public init(_ model: Model) {
        self.init(weights: model.layers.map { $0.weight.decoded() },
                  biases: model.layers.map { $0.bias ?? [Float](repeating: 0, count: $0.outFeatures) },
                  activation: model.activation, names: model.layers.map(\.name))
    }

    /// A freshly initialised MLP with widths `dims` ([input, hidden…, output]), as PyTorch's
    /// `nn.Linear` initialises itself: kaiming_uniform(a = √5) for W, which is U(−1/√in, 1/√in),
    /// and the same bound for b. Layers are named fc1…fcN unless `names` are given.
    public init(dims: [Int], activation: Activation, seed: UInt64, names: [String]? = nil) {
        precondition(dims.count >= 2 && dims.allSatisfy { $0 > 0 }, "MLP dims \(dims) need an input and an output width, all positive")
        var rng = SeededRandom(seed: seed)
        var weights: [Tensor] = [], biases: [[Float]] = []
        for (fanIn, fanOut) in zip(dims, dims.dropFirst()) {
            let bound = 1 / Float(fanIn).squareRoot()
            weights.append(Tensor(shape: [fanOut, fanIn], data: (0..<(fanOut * fanIn)).map { _ in rng.uniform(-bound, bound) }))
            biases.append((0..<fanOut).map { _ in rng.uniform(-bound, bound) })
        }
        self.init(weights: weights, biases: biases, activation: activation, names: names)
    }

    /// [input, hidden…, output] widths.
    public var dims: [Int] { [weights[0].columns] + weights.map(\.rows) }
    public var layerCount: Int { weights.count }
    public var inputWidth: Int { weights[0].columns }
    public var outputWidth: Int { weights[weights.count - 1].rows }

    /// The model with `DenseWeight` layers (copies of the current weights).
    public func model() -> Model {
        Model(layers: weights.indices.map { LinearLayer(name: names[$0], weight: DenseWeight(weights[$0]), bias: biases[$0]) },
              activation: activation)
    }

    /// Logits for x [batch, inputWidth]: the forward of `model()` (the same arithmetic).
    public func forward(_ x: Tensor) -> Tensor { model().forward(x) }

    /// The output of every layer for x: hidden layers after the activation, then the logits.
    public func forwardLayers(_ x: Tensor) -> [Tensor] { model().forwardLayers(x) }
}

extension Model {
    /// The output of every layer for x: hidden layers after the activation, then the logits
    /// (e.g. a teacher's hidden features for white-box distillation). A hidden output is the
    /// next layer's input, so one observed forward pass gives them all.
    public func forwardLayers(_ x: Tensor) -> [Tensor] {
        var outputs: [Tensor] = []
        // In call order: the input of layer i + 1 is the output of layer i.
        let logits = forward(x, observer: LinearInputObserver { _, input in outputs.append(input) })
        outputs.removeFirst()   // x itself, the input of the first layer
        outputs.append(logits)
        return outputs
    }
}
