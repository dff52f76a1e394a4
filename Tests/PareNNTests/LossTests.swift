import Foundation
import Testing
import PareTensor
import PareNN

@Suite struct LossTests {
    @Test func crossEntropyValue() {
        let logits = Tensor(shape: [2, 3], data: [1, 2, 3, 1000, 0, -1000])
        let (loss, _) = crossEntropy(logits: logits, labels: [2, 0])
        // Row 1: log(1 + e⁻¹ + e⁻²); row 2 is saturated at 1000 (stable: no overflow) → 0.
        let expected = (log(1 + exp(-1.0) + exp(-2.0)) + 0) / 2
        #expect(abs(loss - expected) < 1e-6)
        #expect(loss.isFinite)
    }

    @Test func crossEntropyGradientMatchesFiniteDifferences() {
        let logits = Tensor(shape: [3, 4], data: [0.3, -1.2, 2.0, 0.1, 1.5, 1.4, -0.2, 0.0, -3, 2, 0.5, 0.7])
        let labels = [2, 0, 3]
        let (_, grad) = crossEntropy(logits: logits, labels: labels)
        let h: Float = 1e-3
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.data[i] += h
            minus.data[i] -= h
            let numeric = (crossEntropy(logits: plus, labels: labels).loss - crossEntropy(logits: minus, labels: labels).loss) / (2 * Double(h))
            #expect(abs(numeric - Double(grad.data[i])) < 1e-4, "entry \(i)")
        }
    }

    @Test func softmaxAndTemperature() {
        let z = Tensor(shape: [1, 3], data: [1, 2, 3])
        let p = softmax(z)
        let e = [exp(1.0), exp(2.0), exp(3.0)]
        for j in 0..<3 { #expect(abs(Double(p.data[j]) - e[j] / e.reduce(0, +)) < 1e-6) }
        let pT = softmax(z, temperature: 2)
        let eT = [exp(0.5), exp(1.0), exp(1.5)]
        for j in 0..<3 { #expect(abs(Double(pT.data[j]) - eT[j] / eT.reduce(0, +)) < 1e-6) }
        let lp = logSoftmax(Tensor(shape: [1, 2], data: [1e4, 0]))
        #expect(lp.data[0] == 0 && lp.data[1] == -1e4)
    }

    @Test func softTargetsAndKL() {
        let z = Tensor(shape: [2, 3], data: [0.5, -0.5, 2, 1, 1, 1])
        let t = Tensor(shape: [2, 3], data: [0.2, 0.3, 0.5, 0, 0, 1])
        let (kl, dKL) = klDivergence(targets: t, logits: z, temperature: 2)
        let (ce, dCE) = crossEntropy(logits: z, targets: t, temperature: 2)
        // KL = CE − H(t), H per row averaged; gradients equal.
        let entropy = -(0.2 * log(0.2) + 0.3 * log(0.3) + 0.5 * log(0.5)) / 2
        #expect(abs(kl - (ce - entropy)) < 1e-6)
        #expect(dKL == dCE)
        // Hard targets at T = 1 reduce to the labelled cross-entropy.
        let onehot = Tensor(shape: [2, 3], data: [0, 0, 1, 1, 0, 0])
        let hard = crossEntropy(logits: z, labels: [2, 0])
        let soft = crossEntropy(logits: z, targets: onehot)
        #expect(abs(hard.loss - soft.loss) < 1e-6)
        for i in 0..<6 { #expect(abs(hard.dLogits.data[i] - soft.dLogits.data[i]) < 1e-6) }
        #expect(argmaxRows(z) == [2, 0])
    }
}

@Suite struct AdamTests {
    @Test func firstTwoStepsMatchHandComputedValues() {
        // p = [1, −2], lr 0.1, gradients [0.5, 0.1] then [−1, 0.2]; by hand (m̂ / (√v̂ + ε)):
        // step 1: m̂ = g, v̂ = g² → p −= 0.1·sign(g) → [0.9, −2.1] (up to ε)
        // step 2: m = 0.05 + 0.1(−1 − 0.05) = −0.055, v = 0.999·0.00025 + 0.001 = 0.00124975,
        //         m̂ = −0.055 / 0.19, v̂ = 0.00124975 / 0.001999 → p₀ = 0.9 + 0.1·0.289474/0.790688 = 0.9366104
        let adam = Adam(learningRate: 0.1)
        var p: [Float] = [1, -2]
        var state = AdamState(count: 2)
        adam.step(&p, gradient: [0.5, 0.1], state: &state)
        #expect(abs(p[0] - 0.900000002) < 1e-6 && abs(p[1] - -2.09999999) < 1e-6)
        adam.step(&p, gradient: [-1, 0.2], state: &state)
        #expect(abs(p[0] - 0.9366103542) < 1e-6 && abs(p[1] - -2.1965181865) < 1e-6)
        #expect(state.step == 2)
    }

    @Test func weightDecayIsAddedToTheGradientAndMasksHold() {
        let adam = Adam(learningRate: 0.1, weightDecay: 0.5)
        var p: [Float] = [2, 3]
        var state = AdamState(count: 2)
        // Gradient 0 + 0.5·p ≠ 0 → first step moves by lr against the sign; the masked entry stays 0.
        adam.step(&p, gradient: [0, 0], state: &state, mask: [1, 0])
        #expect(abs(p[0] - 1.9) < 1e-6 && p[1] == 0)
    }
}
