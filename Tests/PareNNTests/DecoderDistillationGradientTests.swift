import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The distillation losses on a decoder's logits and the hidden-state term, through
/// `CausalDecoder.gradients(tokens:logitLoss:hiddenLoss:)`: hand-computed loss values, the
/// closed-form zero gradient of a student equal to its teacher, and finite differences of the
/// whole model's loss (computed here from the model's own `logits(tokens:)` and block outputs,
/// independently of the loss's code) along the gradient of every parameter tensor.
@Suite struct DecoderDistillationGradientTests {
    static let tokens = DecoderGradientTests.tokens

    /// log softmax(z/T), in Double.
    static func logSoftmax(_ z: [Double], _ t: Double) -> [Double] {
        let s = z.map { $0 / t }, peak = s.max()!
        let shift = peak + log(s.reduce(0) { $0 + exp($1 - peak) })
        return s.map { $0 - shift }
    }

    /// α·T²·mean KL + (1 − α)·mean CE over the T − 1 predicting rows, written out from the definitions.
    static func reference(student: Tensor, teacher: Tensor, tokens: [Int], t: Double, alpha: Double, reverse: Bool) -> Double {
        let v = student.columns, n = student.rows - 1
        var kl = 0.0, ce = 0.0
        for r in 0..<n {
            let s = (0..<v).map { Double(student.data[r * v + $0]) }, u = (0..<v).map { Double(teacher.data[r * v + $0]) }
            let lq = logSoftmax(s, t), lp = logSoftmax(u, t)
            for j in 0..<v {
                kl += reverse ? exp(lq[j]) * (lq[j] - lp[j]) : exp(lp[j]) * (lp[j] - lq[j])
            }
            ce -= logSoftmax(s, 1)[tokens[r + 1]]
        }
        return alpha * t * t * kl / Double(n) + (1 - alpha) * ce / Double(n)
    }

    /// One predicting row by hand: student logits (0, 0) and teacher (ln 3, 0) at T = 1 give
    /// p = (3/4, 1/4), q = (1/2, 1/2); the next token is 0.
    @Test func lossValuesMatchHandComputedCases() {
        let student = Tensor(shape: [2, 2], data: [0, 0, 5, -5]), teacher = Tensor(shape: [2, 2], data: [Float(log(3.0)), 0, 1, 1])
        let tokens = [1, 0]
        let forwardKL = 0.75 * log(0.75 / 0.5) + 0.25 * log(0.25 / 0.5)
        let reverseKL = 0.5 * log(0.5 / 0.75) + 0.5 * log(0.5 / 0.25)
        let ce = log(2.0)
        let forward = DecoderDistillationLoss(temperature: 1, alpha: 1, divergence: .forward).evaluate(student: student, teacher: teacher, tokens: tokens)
        #expect(abs(forward.kl - forwardKL) < 1e-7 && abs(forward.loss - forwardKL) < 1e-7 && abs(forward.crossEntropy - ce) < 1e-7)
        // ∂/∂s = T·(q − p): (−1/4, +1/4); the last row predicts nothing.
        #expect(abs(forward.gradient.data[0] + 0.25) < 1e-6 && abs(forward.gradient.data[1] - 0.25) < 1e-6)
        #expect(forward.gradient.data[2] == 0 && forward.gradient.data[3] == 0)
        let reverse = DecoderDistillationLoss(temperature: 1, alpha: 1, divergence: .reverse).evaluate(student: student, teacher: teacher, tokens: tokens)
        #expect(abs(reverse.kl - reverseKL) < 1e-7)
        // q⊙(log q − log p − KL): ½(ln(2/3) − KL), ½(ln 2 − KL).
        #expect(abs(Double(reverse.gradient.data[0]) - 0.5 * (log(2.0 / 3) - reverseKL)) < 1e-6)
        #expect(abs(Double(reverse.gradient.data[1]) - 0.5 * (log(2.0) - reverseKL)) < 1e-6)
        // α → 0 is the cross-entropy alone, with its gradient softmax − onehot.
        let hard = DecoderDistillationLoss(temperature: 3, alpha: 0).evaluate(student: student, teacher: teacher, tokens: tokens)
        #expect(abs(hard.loss - ce) < 1e-7 && abs(hard.gradient.data[0] + 0.5) < 1e-6 && abs(hard.gradient.data[1] - 0.5) < 1e-6)
        // At T = 2 with α = ½: ½·4·KL₂ + ½·CE, KL₂ between softmax((ln 3)/2, 0) and (½, ½).
        let p0 = sqrt(3.0) / (sqrt(3.0) + 1)
        let kl2 = p0 * log(p0 / 0.5) + (1 - p0) * log((1 - p0) / 0.5)
        let mixed = DecoderDistillationLoss(temperature: 2, alpha: 0.5).evaluate(student: student, teacher: teacher, tokens: tokens)
        #expect(abs(mixed.loss - (2 * kl2 + 0.5 * ce)) < 1e-7)
    }

    /// A student whose logits are the teacher's has KL 0 and, at α = 1, a zero gradient at any
    /// temperature, in both directions — through the whole model too.
    @Test(arguments: [DecoderDistillationLoss.Divergence.forward, .reverse])
    func aStudentEqualToItsTeacherHasNoKLGradient(_ divergence: DecoderDistillationLoss.Divergence) throws {
        let model = try TransformerFixtures.decoder("llama_tiny_untied")
        let logits = try model.logits(tokens: Self.tokens)
        for t in [0.5, 1, 4] {
            let loss = DecoderDistillationLoss(temperature: t, alpha: 1, divergence: divergence)
            let v = loss.evaluate(student: logits, teacher: logits, tokens: Self.tokens)
            #expect(abs(v.kl) < 1e-12 && v.gradient.data.allSatisfy { abs($0) < 1e-9 }, "T=\(t): KL \(v.kl)")
            // The teacher's logits as the training forward pass computes them: exactly zero.
            let g = try model.gradients(tokens: Self.tokens, logitLoss: { s in
                let v = loss.evaluate(student: s, teacher: s, tokens: Self.tokens)
                return (v.loss, v.gradient)
            })
            #expect(g.weights.values.allSatisfy { $0.data.allSatisfy { $0 == 0 } } && g.embedding.data.allSatisfy { $0 == 0 })
            // As the inference path computes them (other kernels, float rounding): next to nothing
            // beside the cross-entropy's gradient.
            let close = try model.gradients(tokens: Self.tokens, logitLoss: { s in
                let v = loss.evaluate(student: s, teacher: logits, tokens: Self.tokens)
                return (v.loss, v.gradient)
            })
            let ce = try model.gradients(tokens: Self.tokens)
            func largest(_ g: DecoderGradients) -> Float { g.weights.values.flatMap(\.data).map(abs).max()! }
            #expect(largest(close) < 1e-3 * largest(ce), "T=\(t): largest weight gradient \(largest(close)) vs CE's \(largest(ce))")
        }
    }

    /// Every Linear, bias and the embedding, and a norm of each kind, checked along its gradient.
    static func directionalCheck(_ model: CausalDecoder, _ g: DecoderGradients, label: String,
                                 loss: (CausalDecoder) throws -> Double) throws {
        var parameters: [DecoderGradientTests.Parameter] = [.embedding]
        for l in model.linears where !(model.lmHeadIsTied && l.name == model.lmHead.name) {
            parameters.append(.weight(l.name))
            if l.bias != nil { parameters.append(.bias(l.name)) }
        }
        for n in [model.layers[0].inputNorm, model.layers[1].postAttentionNorm, model.norm] {
            if case .rms(let r) = n { parameters.append(.norm(r.name)) }
        }
        try DecoderGradientTests.checkAlongGradient(model, g, parameters, label: label, loss: loss)
    }

    @Test(arguments: [("forward", 2.0, 0.7), ("reverse", 2.0, 0.7), ("forward", 1.0, 1.0), ("reverse", 0.5, 0.3)])
    func distillationGradientsMatchFiniteDifferences(_ kl: String, _ t: Double, _ alpha: Double) throws {
        let student = try TransformerFixtures.decoder("llama_tiny_untied")
        let teacher = try TransformerFixtures.decoder("qwen2_tiny")
        let teacherLogits = try teacher.logits(tokens: Self.tokens)
        let loss = DecoderDistillationLoss(temperature: t, alpha: alpha, divergence: .init(rawValue: kl)!)
        let g = try student.gradients(tokens: Self.tokens, logitLoss: { s in
            let v = loss.evaluate(student: s, teacher: teacherLogits, tokens: Self.tokens)
            return (v.loss, v.gradient)
        })
        func reference(_ m: CausalDecoder) throws -> Double {
            Self.reference(student: try m.logits(tokens: Self.tokens), teacher: teacherLogits, tokens: Self.tokens,
                           t: t, alpha: alpha, reverse: kl == "reverse")
        }
        #expect(abs(g.loss - (try reference(student))) < 1e-5 * max(1, g.loss))
        try Self.directionalCheck(student, g, label: "\(kl) T=\(t) α=\(alpha)", loss: reference)
    }

    /// The hidden-state term: the mean squared distance of block 0's output (times a fixed
    /// matrix) to a target, added through `hiddenLoss`, on top of the cross-entropy.
    @Test func anInjectedHiddenStateTermMatchesFiniteDifferences() throws {
        let model = try TransformerFixtures.decoder("llama_tiny_tied")
        let width = model.spec.hiddenSize, rows = Self.tokens.count
        var random = SeededRandom(seed: 11)
        let projection = Tensor(shape: [6, width], data: (0..<(6 * width)).map { _ in Float(random.normal() * 0.3) })
        let target = Tensor(shape: [rows, 6], data: (0..<(rows * 6)).map { _ in Float(random.normal()) })
        func term(_ h: Tensor) -> (Double, Tensor) {
            // L = mean((h·Pᵀ − y)²), ∂L/∂h = 2(h·Pᵀ − y)·P / (rows·6).
            var loss = 0.0
            var dz = [Double](repeating: 0, count: rows * 6)
            for r in 0..<rows {
                for o in 0..<6 {
                    var z = 0.0
                    for i in 0..<width { z += Double(h.data[r * width + i]) * Double(projection.data[o * width + i]) }
                    let d = z - Double(target.data[r * 6 + o])
                    loss += d * d
                    dz[r * 6 + o] = 2 * d / Double(rows * 6)
                }
            }
            var dh = Tensor(zeros: h.shape)
            for r in 0..<rows {
                for i in 0..<width {
                    var s = 0.0
                    for o in 0..<6 { s += dz[r * 6 + o] * Double(projection.data[o * width + i]) }
                    dh.data[r * width + i] = Float(s)
                }
            }
            return (loss / Double(rows * 6), dh)
        }
        let g = try model.gradients(tokens: Self.tokens, logitLoss: { CausalDecoder.nextTokenLoss($0, Self.tokens) },
                                    hiddenLoss: { block, h in block == 0 ? term(h) : nil })
        func reference(_ m: CausalDecoder) throws -> Double {
            let h = try m.logitsAndBlockOutputs(tokens: Self.tokens, blocks: [0]).outputs[0]!
            return try DecoderGradientTests.loss(m, Self.tokens) + term(h).0
        }
        #expect(abs(g.loss - (try reference(model))) < 1e-5 * g.loss)
        try Self.directionalCheck(model, g, label: "hidden block 0", loss: reference)
        // The block outputs are the forward pass's own: the last one, normed, gives the logits.
        let (logits, outputs) = try model.logitsAndBlockOutputs(tokens: Self.tokens, blocks: [1])
        #expect(logits == (try model.logits(tokens: Self.tokens)) && outputs.keys.sorted() == [1])
    }
}
