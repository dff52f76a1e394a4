import PareNN
import PareTensor

/// `quant-qat`: quantization-aware training. Fine-tunes on `--train` for `epochs` (default 3) with
/// Adam (`lr`, default 1e-4; `batch_size`, default 64) while the forward pass fake-quantizes each
/// selected layer's weights (per-channel symmetric, `bits`=2…8, default 8) and input (per-tensor
/// affine uint8, range tracked by a moving average with `averaging_constant`=0.01, as torch.ao's
/// MovingAverageMinMaxObserver), gradients passing straight through inside the clamp range.
/// Then converts to `quant-static`'s integer form (`StaticInt8Linear`) with the learned ranges.
/// With epochs=0 the observers only watch one pass over the training data (post-training W{bits}A8).
///
/// On a decoder LM, `steps=k` (with `batch`, `granularity`, `group_size`, `scheme`, `act_bits`)
/// selects the decoder form, `DecoderQAT`: training on `--train text:`, ending in quant-weight's
/// (or quant-dynamic's) encoding.
public struct QuantQAT: CompressionMethod {
    public static let name = "quant-qat"
    public static let summary = "Quantization-aware training on --train (fake-quant weights and uint8 inputs, straight-through gradients), then quant-static's integer layers; on a decoder LM steps= on --train text, then quant-weight's codes."

    let bits: Int
    let epochs: Int
    let learningRate: Double
    let batchSize: Int
    let averagingConstant: Double
    let layers: LayerSelection
    /// The decoder-LM form, when its settings (`steps` …) are given.
    let decoder: DecoderQAT?

    public init(settings: Settings) throws {
        var s = settings
        if DecoderQAT.keys.contains(where: s.has) {
            let d = try DecoderQAT(settings: &s)
            try s.finish()
            (decoder, bits, epochs, learningRate, batchSize, averagingConstant, layers) = (d, d.options.bits, 0, d.learningRate, 0, 0, d.layers)
            return
        }
        decoder = nil
        bits = try s.int("bits", default: 8, valid: ("a whole number from 2 to 8", { (2...8).contains($0) }))!
        epochs = try TrainingData.epochs(&s, key: "epochs", default: 3)
        learningRate = try TrainingData.learningRate(&s, default: 1e-4)
        batchSize = try TrainingData.batchSize(&s)
        averagingConstant = try s.double("averaging_constant", default: 0.01,
                                         valid: ("in (0, 1] (the moving average's step towards each batch's range)", { $0 > 0 && $0 <= 1 }))!
        layers = LayerSelection(settings: &s)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        if let decoder { return decoder.config }
        return ["bits": .int(bits), "weight_granularity": .string("channel"), "weight_scheme": .string("symmetric"),
         "activation_dtype": .string("uint8"), "activation_granularity": .string("tensor"),
         "observer": .string("moving_average_minmax"), "averaging_constant": .double(averagingConstant),
         "epochs": .int(epochs), "lr": .double(learningRate), "batch_size": .int(batchSize),
         "layers": .string(layers.recorded)]
    }

    public func checkTransformerSupport() throws {
        guard decoder != nil else {
            throw ConfigError("\(Self.name) on a decoder LM trains steps=k Adam steps on --train text:FILE; give steps= (epochs= is an MLP's setting).")
        }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if let decoder { return try decoder.compress(model, context: context) }
        let (net, quantizer, curves) = try train(model, context: context)
        var notes: [String] = []
        if bits < 8 {
            notes.append("weights hold \(bits)-bit codes (−\(1 << (bits - 1))…\((1 << (bits - 1)) - 1)), packed \(bits) bits each in the int8-static encoding (weight_bits meta)")
        }
        return CompressionResult(model: quantizer.convert(net), notes: notes, curves: curves)
    }

    /// The fine-tuned float network and its fake quantizer (observed ranges), before conversion;
    /// curves `qat_loss` and `qat_accuracy` (training minibatch statistics) per epoch.
    func train(_ model: Model, context: CompressionContext) throws
        -> (net: TrainableMLP, quantizer: FakeQuantizer, curves: [(key: String, step: Int, value: Double)]) {
        let indices = try layers.indices(in: model, method: Self.name)
        let training = try TrainingData.require(context, for: Self.name, purpose: "quantization-aware training", model: model)
        var net = TrainableMLP(model)
        let quantizer = FakeQuantizer(weightBits: bits, layers: indices, averagingConstant: Float(averagingConstant))
        var curves: [(key: String, step: Int, value: Double)] = []
        if epochs > 0 {
            let config = TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: context.seed)
            let history = Trainer.train(&net, on: training, config: config, hooks: quantizer.hooks(), progress: context.progress)
            for stats in history {
                curves.append(("qat_loss", stats.epoch, stats.trainLoss))
                curves.append(("qat_accuracy", stats.epoch, stats.trainAccuracy))
            }
        } else {
            for start in stride(from: 0, to: training.rowCount, by: batchSize) {
                _ = quantizer.forward(net, training.rows(start..<min(start + batchSize, training.rowCount)), observe: true)
            }
        }
        return (net, quantizer, curves)
    }
}
