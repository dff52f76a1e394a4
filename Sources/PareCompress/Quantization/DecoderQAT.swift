import PareNN
import PareTensor

/// `quant-qat` on a decoder LM: quantization-aware training on `--train text:FILE`, then the
/// integer encoding post-training quantization would write.
///
/// `steps` Adam steps of `batch` windows at `lr` (finetune's loop, `DecoderTrainer`). At each step
/// the chosen Linears (`layers=`, default the blocks' Linears, as quant-weight) are fake-quantized
/// from their latent float weights with quant-weight's rule (`bits`, `granularity=channel|group`,
/// `group_size`, `scheme`, min/max refitted every step); the gradient is taken at the quantized
/// weights and applied to the latent ones through the clipped straight-through estimator of
/// PyTorch's `fake_quantize_per_channel_affine`: ∂L/∂w = ∂L/∂ŵ where round(w/s) + z lies inside
/// [qmin, qmax], 0 where the code was clamped (with min/max scales only the largest positive
/// weight of a group can be). The scales get no gradient (not LSQ). With `act_bits=8` the layers
/// also see per-token 8-bit inputs, as dynamic W8A8 executes them (`LinearLayer.multipliedInput`).
///
/// The end: the latent weights quantized by quant-weight itself (so the codes are bit-identical,
/// export to GGUF Q8_0/Q4_0 at int8 / int4 g32 symmetric and run in the quantized kernels), or with
/// `act_bits=8` by quant-dynamic (`int8-dynamic`, or `int8-dynamic-group` for granularity=group).
/// Pruned zeros stay zero while training (masked like finetune's) and the weight-only encoding
/// stores them sparse-quantized where that is smaller; the W8A8 encodings store them as code 0.
struct DecoderQAT: Sendable {
    static let name = QuantQAT.name
    /// The settings that make `quant-qat` the decoder form; `steps` is the one it needs.
    static let keys = ["steps", "batch", "granularity", "group_size", "scheme", "act_bits"]

    let steps: Int
    let learningRate: Double
    let batch: Int
    let options: WeightQuantOptions
    /// 8: per-token dynamic 8-bit inputs; nil: float inputs.
    let activationBits: Int?
    let layers: LayerSelection

    init(settings s: inout Settings) throws {
        guard s.has("steps") else {
            let given = Self.keys.filter { s.has($0) }.joined(separator: ", ")
            throw ConfigError("\(Self.name): \(given) set up QAT of a decoder LM, which trains steps=k Adam steps on --train text; give steps too.")
        }
        steps = try s.int("steps", valid: ("at least 1", { $0 >= 1 }))!
        learningRate = try TrainingData.learningRate(&s, default: 1e-4)
        batch = try s.int("batch", default: 1, valid: ("at least 1 (windows per step)", { $0 >= 1 }))!
        options = try WeightQuantOptions(settings: &s, defaultBits: 8)
        activationBits = try s.int("act_bits", valid: ("8 (per-token 8-bit inputs, as quant-dynamic); leave it out for float inputs", { $0 == 8 }))
        layers = LayerSelection(settings: &s)
        if options.granularity == "tensor" {
            throw ConfigError("\(Self.name): a decoder's QAT quantizes per channel or per group (granularity=channel|group), as its quantized kernels and GGUF do.")
        }
        if activationBits != nil && (options.bits != 8 || options.scheme != .symmetric) {
            throw ConfigError("\(Self.name): act_bits=8 ends in quant-dynamic's W8A8 encoding, whose weights are int8 symmetric; use bits=8 scheme=symmetric, or leave act_bits out for weight-only \(options.bits)-bit QAT.")
        }
        for key in ["epochs", "batch_size", "averaging_constant"] where s.has(key) {
            throw ConfigError("\(Self.name): \(key) belongs to an MLP's QAT; a decoder LM's trains steps= of batch= windows.")
        }
    }

    var config: [String: ConfigValue] {
        var c = options.config
        c["steps"] = .int(steps)
        c["lr"] = .double(learningRate)
        c["batch"] = .int(batch)
        c["optimizer"] = .string("adam")
        c["ste"] = .string("clipped")
        // 32: float activations (no activation quantization).
        c["act_bits"] = .int(activationBits ?? 32)
        if activationBits != nil {
            c["activation_granularity"] = .string("token")
            c["activation_dtype"] = .string("uint8")
        }
        c["layers"] = .string(layers.recorded)
        return c
    }

    var trainer: DecoderTrainer { DecoderTrainer(method: Self.name, steps: steps, learningRate: learningRate, batch: batch) }

    /// The selected paths with their granularity; every refusal is one sentence.
    func granularities(_ model: Model, context: CompressionContext? = nil) throws -> [String: QuantGranularity] {
        guard model.transformer != nil else {
            throw ConfigError("\(Self.name): steps=, batch=, granularity=, group_size=, scheme= and act_bits= are a decoder LM's QAT settings; an MLP's quant-qat trains epochs= on its --train rows.")
        }
        let decoder: CausalDecoder
        if let context {
            decoder = try DecoderTrainer.check(model, context, method: Self.name,
                                               quantizedHint: "quantization-aware training starts from float weights, so put quant-qat first (pruning may come before it: prune-wanda+quant-qat)").0
        } else {
            guard case .decoder(let d)? = model.transformer else { throw ConfigError("\(Self.name) trains decoder LMs; encoders are not trained yet.") }
            decoder = d
        }
        let paths = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
        if decoder.lmHeadIsTied && paths.contains(decoder.lmHead.name) {
            throw ConfigError("\(Self.name): \(decoder.lmHead.name) is tied to the token embedding, which is not quantized; leave it out of layers=.")
        }
        return Dictionary(uniqueKeysWithValues: try paths.map { path in
            (path, try options.granularity(for: model.layers.first { $0.name == path }!, method: Self.name))
        })
    }

    func validate(_ model: Model, context: CompressionContext) throws { _ = try granularities(model, context: context) }

    /// What a step's forward pass runs: each selected Linear's latent weight fake-quantized (its
    /// grid values; with act_bits=8 held in the W8A8 dynamic encoding, so the gradient pass also
    /// quantizes its inputs per token), with the straight-through masks (1 where the code was not
    /// clamped).
    func fakeQuantized(_ latent: CausalDecoder, granularity: [String: QuantGranularity]) throws -> (CausalDecoder, [String: Tensor]) {
        var masks: [String: Tensor] = [:]
        var quantized = latent
        try quantized.mapLinears { l in
            guard let g = granularity[l.name] else { return l }
            let w = l.weight.decoded()
            let (values, mask) = fakeQuantize(w, try QuantParams.fit(w, format: options.format, granularity: g, layer: l.name))
            masks[l.name] = mask
            return Linear(name: l.name, weight: activationBits == nil ? DenseWeight(values) : try fakeQuantizedWeight(w, granularity: g), bias: l.bias)
        }
        return (quantized, masks)
    }

    /// The clipped straight-through estimator: the gradient at the quantized weight passes to
    /// the latent weight where the code was inside [qmin, qmax], and is 0 where it was clamped.
    static func mask(_ gradients: inout DecoderGradients, _ masks: [String: Tensor]) {
        for (path, mask) in masks {
            var g = gradients.weights[path]!
            for i in 0..<g.count where mask.data[i] == 0 { g.data[i] = 0 }
            gradients.weights[path] = g
        }
    }

    /// The trained latent (float) decoder, before the integer encoding.
    func train(_ model: Model, context: CompressionContext) throws -> (CausalDecoder, DecoderTrainer.Outcome) {
        let granularity = try granularities(model, context: context)
        guard case .decoder(let start)? = model.transformer, let text = context.trainingText else { preconditionFailure("checked") }
        // The masks of the step being taken: set by `forward`, read by `adjust`.
        var steMasks: [String: Tensor] = [:]
        let outcome = try trainer.train(start, text: text, progress: { context.progress($0, "QAT \($1)") }, forward: { latent in
            let (quantized, masks) = try fakeQuantized(latent, granularity: granularity)
            steMasks = masks
            return quantized
        }, adjust: { _, gradients in Self.mask(&gradients, steMasks) })
        return (outcome.decoder, outcome)
    }

    func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let (latent, outcome) = try train(model, context: context)
        let text = context.trainingText!
        let granularity = try granularities(model)
        let encoded = try integerEncoding(Model(transformer: .decoder(latent)), granularity: granularity, context: context)
        var notes = [trainer.note("quantization-aware trained", losses: outcome.losses, text: text), description(granularity.count)]
        if outcome.maskedCount > 0 {
            notes.append("\(outcome.maskedCount) pruned weights kept at zero" + (activationBits == nil
                ? " (stored sparse-quantized where that is smaller)" : " (stored as code 0: the W8A8 encodings have no sparse form)"))
        }
        notes += encoded.notes
        return CompressionResult(model: encoded.model, notes: notes,
                                 extraMetrics: ["finetune_tokens": Double(trainer.tokens(text))],
                                 curves: FineTune.lossCurve(outcome.losses))
    }

    /// The W8A8 dynamic encoding of a latent weight (act_bits=8), as quant-dynamic makes it: a
    /// step's forward multiplies it (its decoded weight is the fake-quantized one, and the
    /// gradient pass quantizes its inputs per token), and the end stores it.
    func fakeQuantizedWeight(_ latent: Tensor, granularity: QuantGranularity) throws -> any LinearWeight {
        if case .group(let size) = granularity { return try GroupwiseDynamicInt8Linear(quantizing: latent, groupSize: size) }
        return DynamicInt8Linear(quantizing: latent)
    }

    /// The trained latent model in its integer encoding: quant-weight itself on the latent
    /// weights, or with act_bits=8 quant-dynamic's encodings (the constructors it calls, per
    /// layer's granularity).
    func integerEncoding(_ model: Model, granularity: [String: QuantGranularity], context: CompressionContext) throws -> CompressionResult {
        guard activationBits != nil else { return try QuantWeight(options: options, layers: layers).compress(model, context: context) }
        var out = model
        for i in out.layers.indices {
            guard let g = granularity[out.layers[i].name] else { continue }
            let w = out.layers[i].weight.decoded()
            out = out.replacingWeight(at: i, with: try fakeQuantizedWeight(w, granularity: g))
        }
        return CompressionResult(model: out)
    }

    func description(_ count: Int) -> String {
        let g = options.granularity == "group" ? "group of \(options.groupSize.map(String.init) ?? "up to \(WeightQuantOptions.defaultGroupSize)")" : "channel"
        let end = activationBits == nil ? "quant-weight's encoding" : "quant-dynamic's W8A8 encoding (per-token 8-bit inputs)"
        return "\(count) layers fake-quantized to \(options.bits)-bit \(options.scheme.rawValue) per \(g)\(activationBits == nil ? "" : " with per-token 8-bit inputs") (clipped straight-through gradients), then stored in \(end)"
    }
}

extension QuantWeight {
    init(options: WeightQuantOptions, layers: LayerSelection) {
        self.options = options
        self.layers = layers
    }
}
