import Foundation
import PareNN
import PareTensor

/// `finetune`: recovery fine-tuning of a decoder LM on `--train text:FILE[,tokens=N][,context=C]`
/// — the stage LLM-Pruner and SparseGPT's follow-ups add after pruning (`prune-wanda+finetune`).
/// Every parameter trains (Linear weights and biases, norms, the embedding, a tied head with
/// it) with Adam (`torch.optim.Adam`'s update) on the mean next-token loss of `batch` windows
/// per step, the windows taken in order and cycled. Pruned weights stay exactly zero (a weight
/// that is zero on entry is masked, so N:M and unstructured sparsity survive) and the layers
/// are stored as sparse as before. A quantized or factored layer is refused: its codes cannot
/// take a float update (fine-tune before quantizing, or train LoRA beside a weight-only one).
///
/// With `lora_rank=r` only low-rank adapters train (LoRA, Hu et al.): W_eff = (W + (α/r)·B·A)⊙mask
/// on the `lora_layers=` patterns (default every Linear of the blocks), A [r, in] initialised
/// as PEFT does (uniform ±1/√in, from the run's seed), B [out, r] zero, the base weights, norms
/// and embedding frozen; at the end the adapters are merged into the weights (masked, so pruned
/// weights stay zero) — except beside a weight-only quantized layer (QLoRA's case), whose codes
/// are kept exactly and whose adapters are stored as their own tensors (`LoRAAdaptedWeight`).
public struct FineTune: CompressionMethod {
    public static let name = "finetune"
    public static let summary = "Recovery fine-tuning of a decoder LM on --train text (after pruning): Adam on the next-token loss, pruned weights kept at zero (steps=, lr=, batch=)."

    public var steps: Int
    public var learningRate: Double
    public var batch: Int
    /// 0: full fine-tuning; else LoRA adapters of this rank.
    public var loraRank: Int
    public var loraAlpha: Double
    public var loraLayers: LayerSelection

    public init(steps: Int = 100, learningRate: Double = 1e-4, batch: Int = 1,
                loraRank: Int = 0, loraAlpha: Double? = nil, loraLayers: LayerSelection = .init(names: nil)) {
        self.steps = steps
        self.learningRate = learningRate
        self.batch = batch
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? Double(loraRank)
        self.loraLayers = loraLayers
    }

    public init(settings: Settings) throws {
        var s = settings
        steps = try s.int("steps", default: 100, valid: ("at least 1", { $0 >= 1 }))!
        learningRate = try s.double("lr", default: 1e-4, valid: ("positive", { $0 > 0 }))!
        batch = try s.int("batch", default: 1, valid: ("at least 1", { $0 >= 1 }))!
        loraRank = try s.int("lora_rank", default: 0, valid: ("0 (full fine-tuning) or more", { $0 >= 0 }))!
        let alpha = try s.double("lora_alpha", valid: ("positive", { $0 > 0 }))
        loraLayers = LayerSelection(names: s.list("lora_layers"))
        if loraRank == 0 && (alpha != nil || loraLayers.names != nil) {
            throw ConfigError("\(Self.name): lora_alpha and lora_layers set up LoRA adapters; give lora_rank=r too, or leave them out for full fine-tuning.")
        }
        loraAlpha = alpha ?? Double(loraRank)
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        var c: [String: ConfigValue] = ["steps": .int(steps), "lr": .double(learningRate), "batch": .int(batch),
                                        "optimizer": .string("adam"), "lora_rank": .int(loraRank)]
        if loraRank > 0 {
            c["lora_alpha"] = .double(loraAlpha)
            c["lora_layers"] = .string(loraLayers.recorded)
        }
        return c
    }

    /// The Linear paths that get adapters.
    func adapted(_ model: Model) throws -> [String] {
        try loraLayers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
    }

    public func checkTransformerSupport() throws {}

    static let trainableEncodings: Set<String> = [DenseWeight.encodingName, SparseBitmaskWeight.encodingName, SparseCSRWeight.encodingName]
    /// Weight-only quantized encodings LoRA trains beside: frozen, they keep their codes, and the
    /// adapters stay separate tensors executed next to them (`LoRAAdaptedWeight`).
    static let adapterBaseEncodings: Set<String> = [QuantizedWeight.encodingName, SparseQuantizedWeight.encodingName]

    public func validate(_ model: Model, context: CompressionContext) throws {
        let (decoder, _) = try DecoderTrainer.check(model, context, method: Self.name,
                                                    quantizedHint: loraRank > 0
                                                        ? "LoRA trains beside weight-only quantized layers (quant-weight, quant-gptq, quant-awq); fine-tune before other quantization or factoring"
                                                        : "fine-tune before quantizing or factoring (e.g. prune-wanda+finetune+quant-gptq), or train LoRA adapters beside the quantized weights (lora_rank=8)",
                                                    frozenEncodings: loraRank > 0 ? Self.adapterBaseEncodings : [])
        if loraRank > 0 {
            for path in try adapted(model) {
                let l = decoder.linears.first { $0.name == path }!
                if loraRank >= min(l.weight.outFeatures, l.weight.inFeatures) {
                    throw ConfigError("\(Self.name): lora_rank=\(loraRank) is not below \(path)'s smaller side (\(min(l.weight.outFeatures, l.weight.inFeatures))), so the adapter would not be low-rank; use a smaller rank.")
                }
            }
        }
    }

    var trainer: DecoderTrainer { DecoderTrainer(method: Self.name, steps: steps, learningRate: learningRate, batch: batch) }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        try validate(model, context: context)
        guard case .decoder(let decoder)? = model.transformer, let text = context.trainingText else { preconditionFailure("validated") }
        if loraRank > 0 { return try compressWithLoRA(decoder, paths: try adapted(model), text: text, context: context) }
        let outcome = try trainer.train(decoder, text: text, progress: { context.progress($0, "fine-tune \($1)") })
        var notes = [trainer.note("fine-tuned", losses: outcome.losses, text: text)]
        if outcome.maskedCount > 0 { notes.append("\(outcome.maskedCount) pruned weights kept at zero") }
        return CompressionResult(model: Model(transformer: .decoder(outcome.decoder)), notes: notes,
                                 extraMetrics: ["finetune_tokens": Double(trainer.tokens(text))],
                                 curves: Self.lossCurve(outcome.losses))
    }

    /// The `train_loss` curve, one point per step.
    static func lossCurve(_ losses: [Double], firstStep: Int = 1) -> [(key: String, step: Int, value: Double)] {
        losses.enumerated().map { (key: "train_loss", step: firstStep + $0.offset, value: $0.element) }
    }
}

extension FineTune {
    /// LoRA: only the adapters train; the merged, masked weights are the result.
    func compressWithLoRA(_ start: CausalDecoder, paths: [String], text: TextWindows,
                          context: CompressionContext) throws -> CompressionResult {
        let adam = Adam(learningRate: learningRate)
        var adapters = LoRAAdapters(start, paths: paths, rank: loraRank, alpha: loraAlpha, seed: context.seed)
        var losses: [Double] = []
        let windows = text.windows
        for step in 1...steps {
            // The base is frozen: the pass forms only the adapters' gradients, from each adapted
            // layer's output gradient and input, never a full [out, in] weight gradient.
            let sums = LoRAAdapters.Gradients(), current = adapters
            let (_, loss) = try trainer.batchGradients(adapters.training(start), windows: windows, step: step,
                                                       gradient: { decoder, window in
                try decoder.gradients(tokens: window, request: .frozen { name, dY, x in current.accumulate(name, dY, x, into: sums) })
            })
            adapters.step(gradients: sums, scale: 1 / Float(batch), adam: adam)
            losses.append(loss)
            context.progress(Double(step) / Double(steps), "LoRA fine-tune loss \(String(format: "%.3f", loss))")
        }
        let decoder = adapters.merged(start, sparse: true)
        let total = start.linears.reduce(0) { $0 + $1.weight.parameterCount } + start.embedTokens.weight.count
        let percent = String(format: "%.2f", 100 * Double(adapters.parameterCount) / Double(max(total, 1)))
        let placement = adapters.separateCount == 0 ? "merged into the weights"
            : adapters.separateCount == paths.count ? "kept beside the quantized weights" : "merged into the float weights, kept beside the quantized ones"
        var notes = ["LoRA rank \(loraRank), alpha \(String(format: "%g", loraAlpha)) on \(paths.count) layers: \(adapters.parameterCount) trainable parameters (\(percent) % of the model's), \(placement)",
                     trainer.note("fine-tuned", losses: losses, text: text)]
        if adapters.maskedCount > 0 { notes.append("\(adapters.maskedCount) pruned weights kept at zero") }
        if adapters.separateCount > 0 {
            notes.append("\(adapters.separateCount) of the layers are quantized: their codes are kept exactly and their adapters stored beside them (encoding lora), not merged")
        }
        return CompressionResult(model: Model(transformer: .decoder(decoder)), notes: notes,
                                 extraMetrics: ["finetune_tokens": Double(trainer.tokens(text)), "lora_parameters": Double(adapters.parameterCount)],
                                 curves: Self.lossCurve(losses))
    }
}

/// LoRA adapters of some Linear layers: W_eff = (W + s·B·A)⊙mask with s = alpha / rank, the
/// mask being the frozen base's nonzeros (a pruned weight's zeros stay zero).
struct LoRAAdapters {
    struct Adapter {
        /// The frozen weight (decoded; shares its storage with a dense base).
        var base: Tensor
        /// Whether the base holds zeros that the merged weight keeps.
        var masked: Bool
        /// Whether the base is quantized, so the adapters stay beside it instead of merging.
        var separate: Bool
        var a: [Float], b: [Float]
        var stateA: AdamState, stateB: AdamState
    }
    let rank: Int
    let scale: Float
    var adapters: [String: Adapter] = [:]
    private(set) var maskedCount = 0
    var separateCount: Int { adapters.values.reduce(0) { $0 + ($1.separate ? 1 : 0) } }

    init(_ decoder: CausalDecoder, paths: [String], rank: Int, alpha: Double, seed: UInt64) {
        self.rank = rank
        scale = Float(alpha / Double(rank))
        for (i, path) in paths.enumerated() {
            let l = decoder.linears.first { $0.name == path }!
            let w = l.weight.decoded()
            // A quantized base's zeros are codes, not pruned weights, and its adapters stay separate.
            let separate = FineTune.adapterBaseEncodings.contains(l.weight.encodingName)
            let zeros = separate ? 0 : w.data.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
            maskedCount += zeros
            adapters[path] = Adapter(base: w, masked: zeros > 0, separate: separate,
                                     a: Self.initialA(rows: rank, columns: w.columns, seed: seed &+ UInt64(i)),
                                     b: [Float](repeating: 0, count: w.rows * rank),
                                     stateA: AdamState(count: rank * w.columns), stateB: AdamState(count: w.rows * rank))
        }
    }

    /// PEFT's `kaiming_uniform_(A, a=√5)`: uniform on ±1/√in.
    static func initialA(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let bound = 1 / Double(columns).squareRoot()
        return (0..<rows * columns).map { _ in Float((2 * random.nextDouble() - 1) * bound) }
    }

    var parameterCount: Int { adapters.values.reduce(0) { $0 + $1.a.count + $1.b.count } }

    /// (W + s·B·A)⊙mask of one adapter.
    static func effective(_ x: Adapter, rank: Int, scale s: Float) -> Tensor {
        let out = x.base.rows, inputs = x.base.columns
        var w = matmul(Tensor(shape: [out, rank], data: x.b), Tensor(shape: [rank, inputs], data: x.a))
        w.data.withUnsafeMutableBufferPointer { wp in
            x.base.data.withUnsafeBufferPointer { base in
                for i in 0..<wp.count { wp[i] = x.masked && base[i] == 0 ? 0 : base[i] + s * wp[i] }
            }
        }
        return w
    }

    /// The decoder with every adapted layer's effective weight (stored sparse when masked and
    /// `sparse`); a quantized base keeps its codes, the adapters beside it, when `sparse`.
    func merged(_ decoder: CausalDecoder, sparse: Bool) -> CausalDecoder {
        var d = decoder
        d.mapLinears { l in
            guard let x = adapters[l.name] else { return l }
            if sparse && x.separate {
                return Linear(name: l.name, weight: LoRAAdaptedWeight(base: l.weight, a: Tensor(shape: [rank, x.base.columns], data: x.a),
                                                                      b: Tensor(shape: [x.base.rows, rank], data: x.b), scale: scale), bias: l.bias)
            }
            let w = Self.effective(x, rank: rank, scale: scale)
            return Linear(name: l.name, weight: sparse && x.masked ? SparseEncoding.best(for: w) : DenseWeight(w), bias: l.bias)
        }
        return d
    }

    /// The decoder a training step runs: each adapted layer's weight merged only while a pass
    /// uses it (`LoRATrainingWeight`), the frozen base shared, not copied.
    func training(_ decoder: CausalDecoder) -> CausalDecoder {
        var d = decoder
        d.mapLinears { l in
            guard let x = adapters[l.name] else { return l }
            return Linear(name: l.name, weight: LoRATrainingWeight(x, rank: rank, scale: scale), bias: l.bias)
        }
        return d
    }

    /// ∂L/∂A and ∂L/∂B per adapter, summed over a batch's windows (a class: the backward pass
    /// adds to it from inside `GradientRequest.linearOutputs`).
    final class Gradients {
        var a: [String: Tensor] = [:], b: [String: Tensor] = [:]
    }

    /// Adds one window's ∂L/∂A and ∂L/∂B of the adapter on `name` (if any) to `sums`, from the
    /// layer's output gradient dY [T, out] and input X [T, in]. With G = ∂L/∂W_eff = (dYᵀ·X)⊙mask,
    /// dB = s·G·Aᵀ and dA = s·Bᵀ·G; unmasked, G is never formed: dB = s·dYᵀ·(X·Aᵀ) and
    /// dA = s·(dY·B)ᵀ·X, T·r·(in + out) multiply-adds instead of T·in·out.
    func accumulate(_ name: String, _ dY: Tensor, _ input: Tensor, into sums: Gradients) {
        guard let x = adapters[name] else { return }
        let out = x.base.rows, inputs = x.base.columns
        let a = Tensor(shape: [rank, inputs], data: x.a), b = Tensor(shape: [out, rank], data: x.b)
        var dA: Tensor, dB: Tensor
        if x.masked {
            var g = matmul(dY, input, transposeA: true)
            g.data.withUnsafeMutableBufferPointer { gp in
                x.base.data.withUnsafeBufferPointer { base in
                    for i in 0..<gp.count where base[i] == 0 { gp[i] = 0 }
                }
            }
            dB = matmul(g, a, transposeB: true)
            dA = matmul(b, g, transposeA: true)
        } else {
            dB = matmul(dY, matmul(input, a, transposeB: true), transposeA: true)
            dA = matmul(matmul(dY, b), input, transposeA: true)
        }
        for i in 0..<dB.count { dB.data[i] *= scale }
        for i in 0..<dA.count { dA.data[i] *= scale }
        if let sum = sums.a.removeValue(forKey: name) { for i in 0..<dA.count { dA.data[i] += sum.data[i] } }
        if let sum = sums.b.removeValue(forKey: name) { for i in 0..<dB.count { dB.data[i] += sum.data[i] } }
        sums.a[name] = dA
        sums.b[name] = dB
    }

    /// LoRAPrune's estimate of the adapted layer's ∂L/∂W from the adapters' own gradients:
    /// ∂L/∂B·A + B·∂L/∂A − ∂L/∂B·∂L/∂A ([out, r]·[r, in] products only).
    func estimatedWeightGradient(_ name: String, dA: Tensor, dB: Tensor) -> Tensor {
        let x = adapters[name]!
        let a = Tensor(shape: [rank, x.base.columns], data: x.a), b = Tensor(shape: [x.base.rows, rank], data: x.b)
        var g = matmul(dB, a)
        let bDA = matmul(b, dA), dBdA = matmul(dB, dA)
        for i in 0..<g.count { g.data[i] += bDA.data[i] - dBdA.data[i] }
        return g
    }

    /// One Adam update of every A and B from their summed gradients·`batchScale`.
    mutating func step(gradients sums: Gradients, scale batchScale: Float, adam: Adam) {
        for name in Array(adapters.keys) {
            var x = adapters.removeValue(forKey: name)!
            adam.step(&x.b, gradient: sums.b[name]!.data.map { $0 * batchScale }, state: &x.stateB)
            adam.step(&x.a, gradient: sums.a[name]!.data.map { $0 * batchScale }, state: &x.stateA)
            adapters[name] = x
        }
    }
}

/// The parameters of a decoder being trained, as flat arrays with their Adam state and (for
/// Linear weights that hold zeros) the mask that keeps those zeros.
struct DecoderTrainingState {
    private var weights: [String: (value: [Float], shape: [Int], state: AdamState, mask: [Float]?)] = [:]
    private var biases: [String: (value: [Float], state: AdamState)] = [:]
    private var norms: [String: (value: [Float], state: AdamState)] = [:]
    private var embedding: (value: [Float], shape: [Int], state: AdamState)
    private(set) var maskedCount = 0

    init(_ decoder: CausalDecoder) {
        for l in decoder.linears where !(decoder.lmHeadIsTied && l.name == decoder.lmHead.name) {
            let w = l.weight.decoded()
            let zeros = w.data.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
            maskedCount += zeros
            weights[l.name] = (w.data, w.shape, AdamState(count: w.count), zeros > 0 ? w.data.map { $0 == 0 ? 0 : 1 } : nil)
            if let b = l.bias { biases[l.name] = (b, AdamState(count: b.count)) }
        }
        for n in decoder.rmsNorms { norms[n.name] = (n.weight, AdamState(count: n.weight.count)) }
        let e = decoder.embedTokens.weight
        embedding = (e.data, e.shape, AdamState(count: e.count))
    }

    /// a + b, parameter by parameter.
    static func adding(_ a: DecoderGradients, _ b: DecoderGradients) -> DecoderGradients {
        func sum(_ x: [Float], _ y: [Float]) -> [Float] { zip(x, y).map(+) }
        var out = a
        out.loss += b.loss
        for (k, v) in b.weights { out.weights[k] = Tensor(shape: v.shape, data: sum(a.weights[k]!.data, v.data)) }
        for (k, v) in b.biases { out.biases[k] = sum(a.biases[k]!, v) }
        for (k, v) in b.norms { out.norms[k] = sum(a.norms[k]!, v) }
        out.embedding = Tensor(shape: a.embedding.shape, data: sum(a.embedding.data, b.embedding.data))
        return out
    }

    /// One Adam update of every parameter from `gradients`·`scale`, written back into `decoder`.
    mutating func step(_ decoder: inout CausalDecoder, gradients g: DecoderGradients, scale: Float, adam: Adam) {
        func scaled(_ x: [Float]) -> [Float] { scale == 1 ? x : x.map { $0 * scale } }
        for name in Array(weights.keys) {
            var w = weights.removeValue(forKey: name)!
            adam.step(&w.value, gradient: scaled(g.weights[name]!.data), state: &w.state, mask: w.mask)
            weights[name] = w
        }
        for name in Array(biases.keys) {
            var b = biases.removeValue(forKey: name)!
            adam.step(&b.value, gradient: scaled(g.biases[name]!), state: &b.state)
            biases[name] = b
        }
        for name in Array(norms.keys) {
            var n = norms.removeValue(forKey: name)!
            adam.step(&n.value, gradient: scaled(g.norms[name]!), state: &n.state)
            norms[name] = n
        }
        adam.step(&embedding.value, gradient: scaled(g.embedding.data), state: &embedding.state)
        decoder = written(decoder, sparse: false)
    }

    /// The decoder with the current values; `sparse`: each masked weight in its smallest
    /// sparse encoding (the stored form), else dense (the fast form between steps).
    func written(_ decoder: CausalDecoder, sparse: Bool) -> CausalDecoder {
        var d = decoder
        d.mapLinears { l in
            guard let w = weights[l.name] else { return l }
            let t = Tensor(shape: w.shape, data: w.value)
            return Linear(name: l.name, weight: sparse && w.mask != nil ? SparseEncoding.best(for: t) : DenseWeight(t),
                          bias: biases[l.name]?.value ?? l.bias)
        }
        func norm(_ n: Normalization) -> Normalization {
            guard case .rms(let r) = n, let v = norms[r.name] else { return n }
            return .rms(RMSNorm(name: r.name, weight: v.value, eps: r.eps))
        }
        for i in d.layers.indices {
            d.layers[i].inputNorm = norm(d.layers[i].inputNorm)
            d.layers[i].postAttentionNorm = norm(d.layers[i].postAttentionNorm)
        }
        d.norm = norm(d.norm)
        let table = Tensor(shape: embedding.shape, data: embedding.value)
        d.embedTokens = Embedding(name: d.embedTokens.name, weight: table)
        if d.lmHeadIsTied { d.lmHead = Linear(name: d.lmHead.name, weight: DenseWeight(table), bias: d.lmHead.bias) }
        return d
    }

    /// The trained decoder as it is stored.
    func finished(_ decoder: CausalDecoder) -> CausalDecoder { written(decoder, sparse: true) }
}

extension CausalDecoder {
    /// Every RMSNorm of the model: each block's two, then the final one.
    var rmsNorms: [RMSNorm] {
        var out: [RMSNorm] = []
        for l in layers {
            if case .rms(let n) = l.inputNorm { out.append(n) }
            if case .rms(let n) = l.postAttentionNorm { out.append(n) }
        }
        if case .rms(let n) = norm { out.append(n) }
        return out
    }
}
