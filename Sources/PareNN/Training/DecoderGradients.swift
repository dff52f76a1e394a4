import Foundation
import PareTensor

/// The gradient of a decoder language model's next-token loss with respect to every parameter:
/// each Linear's weight (dense, [out, in]) and bias, each RMSNorm's scale and the token
/// embedding (which, for a tied head, also collects the LM head's gradient).
public struct DecoderGradients: Sendable {
    /// The loss: by default the mean cross-entropy of position t predicting token t + 1 over the
    /// window's T − 1 targets; with `gradients(tokens:logitLoss:hiddenLoss:)` the sum of its terms.
    public var loss: Double
    /// By Linear name (`model.layers.0.self_attn.q_proj`, `lm_head` when untied).
    public var weights: [String: Tensor]
    public var biases: [String: [Float]]
    /// By norm name (`model.layers.0.input_layernorm`, `model.norm`).
    public var norms: [String: [Float]]
    /// [vocab, hidden]; [0, hidden] when the request leaves the embedding out.
    public var embedding: Tensor
}

/// Which parameter gradients a backward pass forms. The input gradient always flows through
/// every layer; a gradient left out is never computed, so a LoRA step (every base parameter
/// frozen) skips each Linear's [out, in] weight product and the vocabulary-sized head and
/// embedding ones — a third of the pass's multiply-adds and most of its memory.
public struct GradientRequest {
    /// Every Linear's weight and bias gradient (`DecoderGradients.weights`, `.biases`).
    public var linearWeights: Bool
    /// Every RMSNorm's scale gradient (`DecoderGradients.norms`).
    public var norms: Bool
    /// The token embedding's (with a tied head's) gradient (`DecoderGradients.embedding`).
    public var embedding: Bool
    /// Called for every Linear the backward pass crosses with (its name, ∂L/∂Y [T, out], the
    /// input it multiplies [T, in]): what a caller needs for the gradients of parameters of its
    /// own that act through the layer (LoRA's factors: ∂L/∂W = ∂L/∂Yᵀ·X, never formed).
    public var linearOutputs: ((_ name: String, _ dY: Tensor, _ input: Tensor) -> Void)?

    public init(linearWeights: Bool = true, norms: Bool = true, embedding: Bool = true,
                linearOutputs: ((String, Tensor, Tensor) -> Void)? = nil) {
        self.linearWeights = linearWeights
        self.norms = norms
        self.embedding = embedding
        self.linearOutputs = linearOutputs
    }

    /// Every parameter's gradient.
    public static var all: GradientRequest { GradientRequest() }

    /// No base parameter's gradient: only `linearOutputs` sees the pass (adapters of frozen layers).
    public static func frozen(linearOutputs: @escaping (String, Tensor, Tensor) -> Void) -> GradientRequest {
        GradientRequest(linearWeights: false, norms: false, embedding: false, linearOutputs: linearOutputs)
    }
}

/// Why a decoder cannot be differentiated here.
public struct DecoderGradientError: Error, CustomStringConvertible {
    public let description: String
}

extension CausalDecoder {
    /// Reverse-mode differentiation of the forward pass `logits(tokens:)` computes (RMSNorm,
    /// RoPE, causal grouped-query attention, SwiGLU, residuals, the LM head) and of the mean
    /// next-token cross-entropy over `tokens`. Each Linear's weight is taken as its decoded
    /// values (a pruned weight's zeros, a quantized weight's grid points), so the gradient is
    /// the one that reaches those values; masks and straight-through estimators are the
    /// caller's to apply.
    ///
    /// `checkpointing` (the default) keeps only each block's input and recomputes the block's
    /// intermediates when its backward pass comes (one more forward pass, about a third more
    /// work), so memory holds one block's activations (T²·heads attention probabilities, T·width
    /// projections) rather than every block's; without it all blocks' are kept.
    public func gradients(tokens: [Int], checkpointing: Bool = true, request: GradientRequest = .all) throws -> DecoderGradients {
        try gradients(tokens: tokens, checkpointing: checkpointing, request: request, logitLoss: { Self.nextTokenLoss($0, tokens) })
    }

    /// The same reverse pass for any loss given on the logits: `logitLoss` maps the logits
    /// [T, vocab] to the loss and its gradient ∂L/∂logits (e.g. `DecoderDistillationLoss`), and
    /// `hiddenLoss`, called with (block index, that block's output [T, hidden]) for every block,
    /// may add a term on a block's output — its value and its gradient, injected into the
    /// backward pass where that block's output is (hidden-state matching). The result's `loss`
    /// is the sum of every term.
    /// `request` says which parameter gradients to form (all by default).
    public func gradients(tokens: [Int], checkpointing: Bool = true, request: GradientRequest = .all,
                          logitLoss: (Tensor) throws -> (Double, Tensor),
                          hiddenLoss: (Int, Tensor) throws -> (Double, Tensor)? = { _, _ in nil }) throws -> DecoderGradients {
        guard tokens.count >= 2 else {
            throw DecoderGradientError(description: "a window of \(tokens.count) token\(tokens.count == 1 ? "" : "s") has no next token to predict; give at least 2")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= spec.vocabSize }) {
            throw DecoderGradientError(description: "token id \(bad) is outside the vocabulary of \(spec.vocabSize)")
        }
        guard case .rms(let finalNorm) = norm else {
            throw DecoderGradientError(description: "training covers RMSNorm decoders (Llama, Qwen2, Mistral); this one uses LayerNorm")
        }
        let table = rotary.table(positions: Array(0..<tokens.count))

        // Forward, keeping what the backward pass reads.
        var x = try embedTokens(tokens)
        var inputs: [Tensor] = []
        var saved: [BlockActivations] = []
        var injected: [Int: Tensor] = [:]
        var hiddenTotal = 0.0
        for (i, layer) in layers.enumerated() {
            inputs.append(x)
            let (out, activations) = try BlockActivations.forward(layer, x, rotary: table)
            if !checkpointing { saved.append(activations) }
            x = out
            if let (value, gradient) = try hiddenLoss(i, x) {
                precondition(gradient.shape == x.shape, "block \(i)'s hidden-state gradient \(gradient.shape) does not match its output \(x.shape)")
                hiddenTotal += value
                injected[i] = gradient
            }
        }
        let final = RMSNormActivations(x, finalNorm)
        let head = lmHead.weight.decoded()
        let logits = linearForward(final.y, head, lmHead.bias)
        var (loss, dLogits) = try logitLoss(logits)
        precondition(dLogits.shape == logits.shape, "the logit gradient \(dLogits.shape) does not match the logits \(logits.shape)")
        loss += hiddenTotal

        // Backward.
        var grads = DecoderGradients(loss: loss, weights: [:], biases: [:], norms: [:],
                                     embedding: Tensor(zeros: [request.embedding ? spec.vocabSize : 0, spec.hiddenSize]))
        if lmHeadIsTied ? request.embedding : request.linearWeights {
            let dHead = weightGradient(dLogits, final.y)
            if lmHeadIsTied { addInPlace(&grads.embedding, dHead) } else { grads.weights[lmHead.name] = dHead }
            if lmHead.bias != nil { grads.biases[lmHead.name] = biasGradient(dLogits) }
        }
        if !lmHeadIsTied { request.linearOutputs?(lmHead.name, dLogits, final.y) }
        var (dx, dFinal) = final.backward(inputGradient(dLogits, head), finalNorm)
        if request.norms { grads.norms[finalNorm.name] = dFinal }
        for i in layers.indices.reversed() {
            if let extra = injected[i] { addInPlace(&dx, extra) }
            let activations = checkpointing ? try BlockActivations.forward(layers[i], inputs[i], rotary: table).1 : saved[i]
            dx = activations.backward(layers[i], dx, rotary: table, request: request, into: &grads)
        }
        guard request.embedding else { return grads }
        grads.embedding.data.withUnsafeMutableBufferPointer { e in
            dx.data.withUnsafeBufferPointer { d in
                let width = spec.hiddenSize
                for (t, token) in tokens.enumerated() {
                    for j in 0..<width { e[token * width + j] += d[t * width + j] }
                }
            }
        }
        return grads
    }

    /// Mean cross-entropy of logits row t against tokens[t + 1] (the last row predicts nothing),
    /// and its gradient: (softmax − one-hot) / (T − 1), zero on the last row.
    static func nextTokenLoss(_ logits: Tensor, _ tokens: [Int]) -> (Double, Tensor) {
        let rows = logits.rows, vocab = logits.columns, targets = rows - 1
        var gradient = Tensor(zeros: logits.shape)
        var loss = 0.0
        logits.data.withUnsafeBufferPointer { l in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for t in 0..<targets {
                    let row = l.baseAddress! + t * vocab
                    var peak = -Float.infinity
                    for j in 0..<vocab { peak = max(peak, row[j]) }
                    // exp once per logit, kept in the gradient row until the sum is known.
                    let out = g.baseAddress! + t * vocab
                    var sum = 0.0
                    for j in 0..<vocab { let e = exp(row[j] - peak); out[j] = e; sum += Double(e) }
                    let target = tokens[t + 1]
                    loss += log(sum) - Double(row[target] - peak)
                    let scale = 1 / (sum * Double(targets))
                    for j in 0..<vocab { out[j] = Float(Double(out[j]) * scale) }
                    g[t * vocab + target] -= 1 / Float(targets)
                }
            }
        }
        return (loss / Double(targets), gradient)
    }
}

/// One RMSNorm's input and the per-row 1/rms, for y = x · r · w.
struct RMSNormActivations {
    let x: Tensor
    let inverseRMS: [Float]
    let y: Tensor

    init(_ x: Tensor, _ norm: RMSNorm) {
        self.x = x
        let rows = x.rows, dim = x.columns
        var r = [Float](repeating: 0, count: rows)
        for i in 0..<rows {
            var sum: Float = 0
            for j in 0..<dim { let v = x.data[i * dim + j]; sum += v * v }
            r[i] = 1 / (sum / Float(dim) + norm.eps).squareRoot()
        }
        inverseRMS = r
        y = norm(x)
    }

    /// dx = r·(dy⊙w) − x·r³/D·Σ(dy⊙w⊙x) per row, and dw = Σ_rows dy⊙x·r.
    func backward(_ dy: Tensor, _ norm: RMSNorm) -> (dx: Tensor, dw: [Float]) {
        let rows = x.rows, dim = x.columns
        var dx = Tensor(zeros: x.shape)
        var dw = [Float](repeating: 0, count: dim)
        for i in 0..<rows {
            let r = inverseRMS[i]
            var dot: Float = 0
            for j in 0..<dim {
                let g = dy.data[i * dim + j], v = x.data[i * dim + j]
                dot += g * norm.weight[j] * v
                dw[j] += g * v * r
            }
            let c = r * r * r * dot / Float(dim)
            for j in 0..<dim {
                dx.data[i * dim + j] = r * dy.data[i * dim + j] * norm.weight[j] - x.data[i * dim + j] * c
            }
        }
        return (dx, dw)
    }
}

/// What one decoder block's forward pass leaves for its backward pass.
struct BlockActivations {
    let inputNorm: RMSNormActivations
    /// Queries and keys after RoPE, values, [T, heads·d] and [T, kvHeads·d].
    let q: Tensor, k: Tensor, v: Tensor
    /// softmax(q·kᵀ/√d) per head, [T, T] each, zero above the diagonal.
    let probabilities: [Tensor]
    let context: Tensor
    let postNorm: RMSNormActivations
    /// gate pre-activation, up, and silu(gate)·up.
    let gate: Tensor, up: Tensor, hidden: Tensor

    static func forward(_ layer: DecoderLayer, _ x: Tensor, rotary: RotaryTable) throws -> (Tensor, BlockActivations) {
        guard case .rms(let norm1) = layer.inputNorm, case .rms(let norm2) = layer.postAttentionNorm else {
            throw DecoderGradientError(description: "training covers RMSNorm decoders (Llama, Qwen2, Mistral); this one uses LayerNorm")
        }
        guard case .gated(let mlp) = layer.mlp, mlp.activation == .silu else {
            throw DecoderGradientError(description: "training covers SwiGLU decoders (a SiLU-gated MLP); this one has another feed-forward block")
        }
        let a = layer.attention
        let n1 = RMSNormActivations(x, norm1)
        var q = forward(a.query, n1.y)
        var k = forward(a.key, n1.y)
        let v = forward(a.value, n1.y)
        rotary.apply(to: &q, heads: a.heads)
        rotary.apply(to: &k, heads: a.kvHeads)

        let rows = x.rows, d = a.headDim, group = a.heads / a.kvHeads
        var context = Tensor(zeros: [rows, a.heads * d])
        var probabilities: [Tensor] = []
        let scale = 1 / Float(d).squareRoot()
        for h in 0..<a.heads {
            let qh = columns(q, h * d, d), kg = columns(k, (h / group) * d, d), vg = columns(v, (h / group) * d, d)
            var p = matmul(qh, kg, transposeB: true)
            for i in 0..<rows {
                var peak = -Float.infinity
                for j in 0...i { p.data[i * rows + j] *= scale; peak = max(peak, p.data[i * rows + j]) }
                var sum: Float = 0
                for j in 0...i { let e = exp(p.data[i * rows + j] - peak); p.data[i * rows + j] = e; sum += e }
                for j in 0...i { p.data[i * rows + j] /= sum }
                for j in (i + 1)..<rows { p.data[i * rows + j] = 0 }
            }
            setColumns(&context, h * d, matmul(p, vg))
            probabilities.append(p)
        }
        var h = forward(a.output, context)
        addInPlace(&h, x)

        let n2 = RMSNormActivations(h, norm2)
        let gate = forward(mlp.gate, n2.y)
        let up = forward(mlp.up, n2.y)
        var hidden = gate
        for i in 0..<hidden.count { hidden.data[i] = silu(gate.data[i]) * up.data[i] }
        var out = forward(mlp.down, hidden)
        addInPlace(&out, h)
        return (out, BlockActivations(inputNorm: n1, q: q, k: k, v: v, probabilities: probabilities, context: context,
                                      postNorm: n2, gate: gate, up: up, hidden: hidden))
    }

    /// The gradient reaching the block's input from `dOut`; the parameters' gradients go into `grads`.
    func backward(_ layer: DecoderLayer, _ dOut: Tensor, rotary: RotaryTable, request: GradientRequest,
                  into grads: inout DecoderGradients) -> Tensor {
        guard case .rms(let norm1) = layer.inputNorm, case .rms(let norm2) = layer.postAttentionNorm,
              case .gated(let mlp) = layer.mlp else { preconditionFailure("checked by forward") }
        let a = layer.attention

        // MLP: out = h + down(silu(gate(n2))·up(n2)).
        let dHidden = linear(mlp.down, dOut, input: hidden, request, into: &grads)
        var dGate = gate, dUp = up
        for i in 0..<gate.count {
            let z = gate.data[i], s = 1 / (1 + exp(-z))
            dUp.data[i] = dHidden.data[i] * z * s
            dGate.data[i] = dHidden.data[i] * up.data[i] * s * (1 + z * (1 - s))
        }
        var dN2 = linear(mlp.gate, dGate, input: postNorm.y, request, into: &grads)
        addInPlace(&dN2, linear(mlp.up, dUp, input: postNorm.y, request, into: &grads))
        let (dhNorm, dw2) = postNorm.backward(dN2, norm2)
        if request.norms { grads.norms[norm2.name] = dw2 }
        var dh = dOut
        addInPlace(&dh, dhNorm)

        // Attention: h = x + o(attention(rope(q(n1)), rope(k(n1)), v(n1))).
        let dContext = linear(a.output, dh, input: context, request, into: &grads)
        let rows = dh.rows, d = a.headDim, group = a.heads / a.kvHeads
        let scale = 1 / Float(d).squareRoot()
        var dq = Tensor(zeros: q.shape), dk = Tensor(zeros: k.shape), dv = Tensor(zeros: v.shape)
        for h in 0..<a.heads {
            let g = h / group
            let p = probabilities[h], dO = columns(dContext, h * d, d)
            let qh = columns(q, h * d, d), kg = columns(k, g * d, d), vg = columns(v, g * d, d)
            addColumns(&dv, g * d, matmul(p, dO, transposeA: true))
            var dS = matmul(dO, vg, transposeB: true)   // dP
            for i in 0..<rows {
                var dot: Float = 0
                for j in 0...i { dot += dS.data[i * rows + j] * p.data[i * rows + j] }
                for j in 0..<rows {
                    dS.data[i * rows + j] = j <= i ? p.data[i * rows + j] * (dS.data[i * rows + j] - dot) * scale : 0
                }
            }
            addColumns(&dq, h * d, matmul(dS, kg))
            addColumns(&dk, g * d, matmul(dS, qh, transposeA: true))
        }
        // RoPE rotates each pair by its angle; its transpose rotates back.
        rotary.applyTransposed(to: &dq, heads: a.heads)
        rotary.applyTransposed(to: &dk, heads: a.kvHeads)
        var dN1 = linear(a.query, dq, input: inputNorm.y, request, into: &grads)
        addInPlace(&dN1, linear(a.key, dk, input: inputNorm.y, request, into: &grads))
        addInPlace(&dN1, linear(a.value, dv, input: inputNorm.y, request, into: &grads))
        let (dxNorm, dw1) = inputNorm.backward(dN1, norm1)
        if request.norms { grads.norms[norm1.name] = dw1 }
        var dx = dh
        addInPlace(&dx, dxNorm)
        return dx
    }

    /// A Linear's output as the gradient pass models it: decoded weights times the input the
    /// layer multiplies (`multipliedInput`: per-token quantized for a dynamic W8A8 layer).
    private static func forward(_ l: Linear, _ x: Tensor) -> Tensor {
        linearForward(l.multipliedInput(x), l.weight.decoded(), l.bias)
    }

    /// A Linear's weight (and bias) gradient from its output gradient, and the gradient of its
    /// input (straight through a dynamic layer's per-token quantization).
    private func linear(_ l: Linear, _ dY: Tensor, input: Tensor, _ request: GradientRequest,
                        into grads: inout DecoderGradients) -> Tensor {
        if request.linearWeights || request.linearOutputs != nil {
            let x = l.multipliedInput(input)
            if request.linearWeights {
                grads.weights[l.name] = weightGradient(dY, x)
                if l.bias != nil { grads.biases[l.name] = biasGradient(dY) }
            }
            request.linearOutputs?(l.name, dY, x)
        }
        return inputGradient(dY, l.weight.decoded())
    }
}

@inline(__always) private func silu(_ z: Float) -> Float { z / (1 + exp(-z)) }

/// Columns [start, start + width) of x as a new [rows, width] tensor.
private func columns(_ x: Tensor, _ start: Int, _ width: Int) -> Tensor {
    var out = Tensor(zeros: [x.rows, width])
    for r in 0..<x.rows {
        for j in 0..<width { out.data[r * width + j] = x.data[r * x.columns + start + j] }
    }
    return out
}

private func setColumns(_ x: inout Tensor, _ start: Int, _ block: Tensor) {
    for r in 0..<x.rows {
        for j in 0..<block.columns { x.data[r * x.columns + start + j] = block.data[r * block.columns + j] }
    }
}

private func addColumns(_ x: inout Tensor, _ start: Int, _ block: Tensor) {
    for r in 0..<x.rows {
        for j in 0..<block.columns { x.data[r * x.columns + start + j] += block.data[r * block.columns + j] }
    }
}

extension RotaryTable {
    /// The transpose of `apply` (rotation by −angle): (a, b) → (a·cos + b·sin, b·cos − a·sin),
    /// which carries a gradient from the rotated queries or keys back to the unrotated ones.
    func applyTransposed(to x: inout Tensor, heads: Int) {
        let rows = x.rows, width = x.columns, d = 2 * half
        precondition(width == heads * d && rows * half == cos.count, "RoPE table does not fit \(x.shape)")
        for r in 0..<rows {
            for h in 0..<heads {
                let base = r * width + h * d
                for i in 0..<half {
                    let a = x.data[base + i], b = x.data[base + half + i]
                    let c = cos[r * half + i], s = sin[r * half + i]
                    x.data[base + i] = a * c + b * s
                    x.data[base + half + i] = b * c - a * s
                }
            }
        }
    }
}
