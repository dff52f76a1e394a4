import PareTensor

/// What `Trainer.train` runs: Adam (β = (0.9, 0.999), ε = 1e-8, as torch.optim.Adam) on
/// minibatches drawn from a seeded shuffle each epoch.
public struct TrainingConfig: Sendable, Codable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Seeds the minibatch order (stream 1 of `SeededRandom(seed:stream:)`, so the same seed can
    /// also initialise the weights without the two being correlated).
    public var seed: UInt64
    /// L2 penalty added to the gradient, as torch.optim.Adam's `weight_decay`.
    public var weightDecay: Double

    public init(epochs: Int, batchSize: Int = 64, learningRate: Double = 1e-3, seed: UInt64 = 0, weightDecay: Double = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.weightDecay = weightDecay
    }

    public var optimizer: Adam { Adam(learningRate: learningRate, weightDecay: weightDecay) }
}

/// The statistics of one epoch, over the minibatches as they were trained (like a PyTorch loop's
/// running totals): mean loss per sample and top-1 accuracy on the training labels.
public struct EpochStats: Sendable, Codable, Equatable {
    /// 1-based.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.seconds = seconds
    }
}

/// How later methods plug into training. Everything is optional; the default trains plain
/// softmax cross-entropy on the dataset's labels. Layer indices are 0-based.
public struct TrainingHooks {
    /// Per layer, a 0/1 tensor shaped like the weight (nil entry = unmasked layer). Masked
    /// weights are zeroed before training and stay exactly zero: their gradients and Adam
    /// updates are masked too (pruning fine-tune).
    public var masks: [Tensor?]?

    /// (layer, latent weight) → (weight the forward pass uses, STE pass-mask or nil = all ones).
    /// The gradient reaches the latent weight multiplied by the pass-mask (QAT fake-quant: 1 inside
    /// the clamp range, 0 outside). The backward pass through the layer input uses the
    /// transformed weight. Called once per layer per step.
    public var weightTransform: ((Int, Tensor) -> (Tensor, Tensor?))?

    /// (layer, input of that layer) → (input the layer uses, STE pass-mask or nil). For layer 0 the
    /// input is the data; for layer i > 0 the previous layer's activated output. The closure may
    /// update observer state (e.g. a class holding a moving-average range).
    public var activationTransform: ((Int, Tensor) -> (Tensor, Tensor?))?

    /// (logits, batch row indices in the dataset) → (mean loss, d loss / d logits) replacing the
    /// default cross-entropy (distillation). The gradient must already include the 1/batch of the mean.
    public var loss: ((_ logits: Tensor, _ batch: [Int]) -> (loss: Double, dLogits: Tensor))?

    /// (hidden layer index, its activated output, batch) → (loss, d loss / d hidden), added to the
    /// main loss; return nil for layers that are not matched. (Optional return: a deviation from
    /// the first sketch, so that one feature layer does not cost a zero tensor per other layer.)
    /// Any extra parameters (a projection) are the closure's to own and update.
    public var hiddenLoss: ((_ layer: Int, _ hidden: Tensor, _ batch: [Int]) -> (loss: Double, dHidden: Tensor)?)?

    /// Called after every epoch.
    public var onEpoch: ((Int, EpochStats) -> Void)?

    /// Called after every optimizer step with the 1-based global step number (e.g. to step a
    /// projection's own optimizer, or to adjust observers).
    public var onStep: ((Int) -> Void)?

    public init(masks: [Tensor?]? = nil,
                weightTransform: ((Int, Tensor) -> (Tensor, Tensor?))? = nil,
                activationTransform: ((Int, Tensor) -> (Tensor, Tensor?))? = nil,
                loss: ((Tensor, [Int]) -> (loss: Double, dLogits: Tensor))? = nil,
                hiddenLoss: ((Int, Tensor, [Int]) -> (loss: Double, dHidden: Tensor)?)? = nil,
                onEpoch: ((Int, EpochStats) -> Void)? = nil,
                onStep: ((Int) -> Void)? = nil) {
        self.masks = masks
        self.weightTransform = weightTransform
        self.activationTransform = activationTransform
        self.loss = loss
        self.hiddenLoss = hiddenLoss
        self.onEpoch = onEpoch
        self.onStep = onStep
    }
}
