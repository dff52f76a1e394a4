import Foundation
import Testing
import PareTensor
@testable import PareNN
import PareTestSupport

/// `CausalDecoder.gradients` against finite differences of the model's own forward pass
/// (`logits(tokens:)`, an independent code path): for every parameter tensor, the derivative of
/// the loss along the normalised gradient ĝ must be |g| — which holds only when g is the true
/// gradient (for any other g′, ⟨g, ĝ′⟩ < |g′| unless g′ = g). Tiny fixtures: tied and untied
/// Llama (grouped-query attention, RoPE) and Qwen2 (q/k/v biases).
@Suite struct DecoderGradientTests {
    static let tokens = [3, 17, 42, 5, 9, 33, 1, 60, 12, 7, 28, 50]

    /// Mean next-token cross-entropy from the model's own logits, in Double.
    static func loss(_ model: CausalDecoder, _ tokens: [Int]) throws -> Double {
        try model.referenceNextTokenLoss(tokens)
    }

    enum Parameter: CustomStringConvertible {
        case weight(String), bias(String), norm(String), embedding
        var description: String {
            switch self {
            case .weight(let n): "\(n).weight"
            case .bias(let n): "\(n).bias"
            case .norm(let n): "\(n).weight"
            case .embedding: "embed_tokens"
            }
        }
    }

    /// The model with `delta` added to one parameter (a tied head moves with the embedding).
    static func perturbed(_ model: CausalDecoder, _ p: Parameter, _ delta: [Float]) -> CausalDecoder {
        var m = model
        func plus(_ a: [Float]) -> [Float] { zip(a, delta).map { $0 + $1 } }
        switch p {
        case .weight(let name):
            m.mapLinears { l in
                guard l.name == name else { return l }
                let w = l.weight.decoded()
                return Linear(name: l.name, weight: DenseWeight(Tensor(shape: w.shape, data: plus(w.data))), bias: l.bias)
            }
        case .bias(let name):
            m.mapLinears { l in l.name == name ? Linear(name: l.name, weight: l.weight, bias: plus(l.bias!)) : l }
        case .norm(let name):
            func moved(_ n: Normalization) -> Normalization {
                guard case .rms(let r) = n, r.name == name else { return n }
                return .rms(RMSNorm(name: r.name, weight: plus(r.weight), eps: r.eps))
            }
            for i in m.layers.indices {
                m.layers[i].inputNorm = moved(m.layers[i].inputNorm)
                m.layers[i].postAttentionNorm = moved(m.layers[i].postAttentionNorm)
            }
            m.norm = moved(m.norm)
        case .embedding:
            let e = m.embedTokens.weight
            let moved = Tensor(shape: e.shape, data: plus(e.data))
            m.embedTokens = Embedding(name: m.embedTokens.name, weight: moved)
            if m.lmHeadIsTied { m.lmHead = Linear(name: m.lmHead.name, weight: DenseWeight(moved), bias: nil) }
        }
        return m
    }

    static func gradient(_ g: DecoderGradients, _ p: Parameter) -> [Float] {
        switch p {
        case .weight(let n): g.weights[n]!.data
        case .bias(let n): g.biases[n]!
        case .norm(let n): g.norms[n]!
        case .embedding: g.embedding.data
        }
    }

    @Test(arguments: ["llama_tiny_untied", "llama_tiny_tied", "qwen2_tiny"])
    func everyParameterMatchesFiniteDifferences(_ name: String) throws {
        let model = try TransformerFixtures.decoder(name)
        let tokens = Self.tokens.map { $0 % model.spec.vocabSize }
        let g = try model.gradients(tokens: tokens)
        // The loss is the one the model's own logits give.
        let reference = try Self.loss(model, tokens)
        #expect(abs(g.loss - reference) <= 1e-5 * reference, "\(name): loss \(g.loss) vs \(reference)")

        var parameters: [Parameter] = [.embedding]
        for l in model.linears where !(model.lmHeadIsTied && l.name == model.lmHead.name) {
            parameters.append(.weight(l.name))
            if l.bias != nil { parameters.append(.bias(l.name)) }
        }
        for layer in model.layers {
            if case .rms(let n) = layer.inputNorm { parameters.append(.norm(n.name)) }
            if case .rms(let n) = layer.postAttentionNorm { parameters.append(.norm(n.name)) }
        }
        if case .rms(let n) = model.norm { parameters.append(.norm(n.name)) }
        // Per block 7 Linears and 2 norms; the embedding, the final norm, an untied head, q/k/v biases.
        let layers = model.spec.layers
        #expect(parameters.count == 9 * layers + 2 + (model.lmHeadIsTied ? 0 : 1) + (model.spec.qkvBias ? 3 * layers : 0))

        try Self.checkAlongGradient(model, g, parameters, label: name) { try Self.loss($0, tokens) }
    }

    /// For each parameter, the central finite difference of `loss` along ĝ must be |g| (2 %).
    static func checkAlongGradient(_ model: CausalDecoder, _ g: DecoderGradients, _ parameters: [Parameter], label: String,
                                   loss: (CausalDecoder) throws -> Double) throws {
        for p in parameters {
            let grad = Self.gradient(g, p)
            let norm = grad.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(norm > 1e-6, "\(label) \(p): a zero gradient")
            let epsilon = 1e-2
            let step = grad.map { Float(Double($0) / norm * epsilon) }
            let up = try loss(Self.perturbed(model, p, step))
            let down = try loss(Self.perturbed(model, p, step.map { -$0 }))
            let numeric = (up - down) / (2 * epsilon)
            #expect(abs(numeric - norm) <= 2e-2 * norm + 2e-4, "\(label) \(p): finite difference \(numeric), |g| \(norm)")
        }
    }

    /// Single entries too, where the gradient is large enough for a finite difference: the
    /// direction test above cannot tell which entry a wrong value sits in.
    @Test func largestEntriesMatchOneByOne() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        let tokens = Self.tokens
        let g = try model.gradients(tokens: tokens)
        for p in [Parameter.weight("model.layers.0.self_attn.k_proj"), .weight("model.layers.1.mlp.gate_proj"),
                  .norm("model.layers.0.input_layernorm"), .embedding] {
            let grad = Self.gradient(g, p)
            let i = grad.indices.max { abs(grad[$0]) < abs(grad[$1]) }!
            var step = [Float](repeating: 0, count: grad.count)
            step[i] = 1e-2
            let up = try Self.loss(Self.perturbed(model, p, step), tokens)
            step[i] = -1e-2
            let down = try Self.loss(Self.perturbed(model, p, step), tokens)
            let numeric = (up - down) / 2e-2
            #expect(abs(numeric - Double(grad[i])) <= 3e-2 * abs(Double(grad[i])) + 2e-4, "\(p)[\(i)]: \(numeric) vs \(grad[i])")
        }
    }

    /// Recomputing each block in the backward pass (checkpointing) gives the same numbers as
    /// keeping every block's activations.
    @Test func checkpointingChangesNothing() throws {
        let model = try TransformerFixtures.decoder("qwen2_tiny")
        let tokens = Self.tokens.map { $0 % model.spec.vocabSize }
        let kept = try model.gradients(tokens: tokens, checkpointing: false)
        let recomputed = try model.gradients(tokens: tokens, checkpointing: true)
        #expect(kept.loss == recomputed.loss)
        #expect(kept.weights == recomputed.weights && kept.biases == recomputed.biases && kept.norms == recomputed.norms)
        #expect(kept.embedding == recomputed.embedding)
    }

    @Test func aWindowWithoutATargetOrWithAForeignTokenIsRefused() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        #expect(throws: DecoderGradientError.self) { _ = try model.gradients(tokens: [1]) }
        #expect(throws: DecoderGradientError.self) { _ = try model.gradients(tokens: [1, model.spec.vocabSize]) }
    }
}
