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
/// take a float update (fine-tune before quantizing).
public struct FineTune: CompressionMethod {
    public static let name = "finetune"
    public static let summary = "Recovery fine-tuning of a decoder LM on --train text (after pruning): Adam on the next-token loss, pruned weights kept at zero (steps=, lr=, batch=)."

    public var steps: Int
    public var learningRate: Double
    public var batch: Int

    public init(steps: Int = 100, learningRate: Double = 1e-4, batch: Int = 1) {
        self.steps = steps
        self.learningRate = learningRate
        self.batch = batch
    }

    public init(settings: Settings) throws {
        var s = settings
        steps = try s.int("steps", default: 100, valid: ("at least 1", { $0 >= 1 }))!
        learningRate = try s.double("lr", default: 1e-4, valid: ("positive", { $0 > 0 }))!
        batch = try s.int("batch", default: 1, valid: ("at least 1", { $0 >= 1 }))!
        try s.finish()
    }

    public var config: [String: ConfigValue] {
        ["steps": .int(steps), "lr": .double(learningRate), "batch": .int(batch), "optimizer": .string("adam")]
    }

    public func checkTransformerSupport() throws {}

    static let trainableEncodings: Set<String> = [DenseWeight.encodingName, SparseBitmaskWeight.encodingName, SparseCSRWeight.encodingName]

    public func validate(_ model: Model, context: CompressionContext) throws {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(Self.name) trains decoder LMs; an MLP's methods fine-tune with their own finetune_epochs=, and encoders are not trained yet.")
        }
        guard let text = context.trainingText else {
            throw ConfigError("\(Self.name) trains on text: pass --train text:FILE[,tokens=N][,context=C] (another text than --test).")
        }
        guard text.windows.allSatisfy({ $0.count >= 2 }), !text.windows.isEmpty else {
            throw ConfigError("\(Self.name): the training text gives no window of 2 or more tokens; give a longer text or a larger context.")
        }
        if let layer = decoder.linears.first(where: { !Self.trainableEncodings.contains($0.weight.encodingName) }) {
            throw ConfigError("\(Self.name): \(layer.name) is stored \(layer.weight.encodingName), whose codes cannot take a float update; fine-tune before quantizing or factoring (e.g. prune-wanda+finetune+quant-gptq).")
        }
        if decoder.embedTokens.factors != nil {
            throw ConfigError("\(Self.name): the token embedding is stored as two low-rank factors, which training would turn back into one table; fine-tune before factoring it.")
        }
        guard case .rms = decoder.norm, decoder.spec.activation == .silu else {
            throw ConfigError("\(Self.name) trains RMSNorm SwiGLU decoders (Llama, Qwen2, Mistral) so far.")
        }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        try validate(model, context: context)
        guard case .decoder(var decoder)? = model.transformer, let text = context.trainingText else { preconditionFailure("validated") }
        let adam = Adam(learningRate: learningRate)
        var state = DecoderTrainingState(decoder)
        var curves: [(key: String, step: Int, value: Double)] = []
        let windows = text.windows
        for step in 1...steps {
            var sum: DecoderGradients?
            var loss = 0.0
            for b in 0..<batch {
                let g: DecoderGradients
                do { g = try decoder.gradients(tokens: windows[((step - 1) * batch + b) % windows.count]) } catch let error as DecoderGradientError {
                    throw ConfigError("\(Self.name): \(error.description).")
                }
                loss += g.loss / Double(batch)
                sum = sum.map { DecoderTrainingState.adding($0, g) } ?? g
            }
            state.step(&decoder, gradients: sum!, scale: 1 / Float(batch), adam: adam)
            curves.append((key: "train_loss", step: step, value: loss))
            context.progress(Double(step) / Double(steps), "fine-tune loss \(String(format: "%.3f", loss))")
        }
        decoder = state.finished(decoder)
        let first = curves.first!.value, last = curves.last!.value
        let tokens = steps * batch * (windows.first?.count ?? 0)
        var notes = ["fine-tuned \(steps) step\(steps == 1 ? "" : "s") of \(batch) window\(batch == 1 ? "" : "s") (\(tokens) tokens) with Adam, lr \(learningRate): train loss \(String(format: "%.4f", first)) → \(String(format: "%.4f", last))"]
        if state.maskedCount > 0 { notes.append("\(state.maskedCount) pruned weights kept at zero") }
        return CompressionResult(model: Model(transformer: .decoder(decoder)), notes: notes,
                                 extraMetrics: ["finetune_tokens": Double(tokens)], curves: curves)
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
