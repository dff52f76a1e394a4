import Foundation
import Testing
import PareTensor
@testable import PareNN

@Suite struct TransformerKernelTests {
    /// 37 values: two SIMD16 bodies and a scalar tail, from −9 to 9.
    let inputs: [Float] = (0..<37).map { Float($0) * 0.5 - 9 }

    @Test func simdExpMatchesLibm() {
        for i in stride(from: -87.0, through: 88.0, by: 0.173) {
            let x = Float(i)
            let got = VectorKernels.exp(VectorKernels.Vec(repeating: x))[3]
            let want = Foundation.exp(Double(x))
            #expect(abs(Double(got) - want) / want < 4e-7, "exp(\(x)) = \(got), libm \(want)")
        }
        // Out of range the input is clamped: tiny, or huge but finite.
        #expect(VectorKernels.exp(-200) < 1e-37 && VectorKernels.exp(-200) >= 0)
        #expect(VectorKernels.exp(200) > 1e38 && VectorKernels.exp(200).isFinite)
    }

    @Test(arguments: ActivationFunction.allCases)
    func activationMatchesScalarReference(_ f: ActivationFunction) {
        var t = Tensor(shape: [inputs.count], data: inputs)
        f.apply(&t)
        for (x, y) in zip(inputs, t.data) {
            let want = f.reference(x)
            #expect(abs(y - want) <= 1e-6 * max(1, abs(want)), "\(f)(\(x)) = \(y), want \(want)")
        }
    }

    @Test func hiddenActNamesAndAliases() {
        #expect(ActivationFunction(huggingFaceName: "gelu") == .gelu)
        #expect(ActivationFunction(huggingFaceName: "gelu_pytorch_tanh") == .geluTanh)
        #expect(ActivationFunction(huggingFaceName: "swish") == .silu)
        #expect(ActivationFunction(huggingFaceName: "mish") == nil)
    }

    @Test func geluHandValues() {
        // Φ(1) = 0.841344746, so gelu(1) = 0.841344746; tanh form: 0.841191990.
        var t = Tensor(shape: [2], data: [1, -1])
        ActivationFunction.gelu.apply(&t)
        #expect(abs(t.data[0] - 0.841344746) < 1e-6 && abs(t.data[1] + 0.158655254) < 1e-6)
        var u = Tensor(shape: [1], data: [1])
        ActivationFunction.geluTanh.apply(&u)
        #expect(abs(u.data[0] - 0.841191990) < 1e-6)
    }

    @Test func softmaxMatchesDoubleReference() {
        var v = inputs.map { $0 * 1.7 }
        let max = v.max()!
        let e = v.map { Foundation.exp(Double($0 - max)) }
        let sum = e.reduce(0, +)
        v.withUnsafeMutableBufferPointer { VectorKernels.softmax($0.baseAddress!, count: $0.count) }
        for i in v.indices { #expect(abs(Double(v[i]) - e[i] / sum) < 1e-7) }
    }

    @Test func softmaxOfFullyMaskedRowIsZero() {
        var v = [Float](repeating: -.infinity, count: 5)
        v.withUnsafeMutableBufferPointer { VectorKernels.softmax($0.baseAddress!, count: 5) }
        #expect(v == [0, 0, 0, 0, 0])
    }

    @Test func rmsNormHandCase() {
        // x = [3, 4]: mean(x²) = 12.5, so y = x / √12.5 · w.
        let norm = RMSNorm(name: "n", weight: [1, 2], eps: 0)
        let y = norm(Tensor(shape: [1, 2], data: [3, 4]))
        let r = Float(12.5).squareRoot()
        #expect(abs(y.data[0] - 3 / r) < 1e-6 && abs(y.data[1] - 4 * 2 / r) < 1e-6)
    }

    @Test func layerNormHandCase() {
        // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
        let norm = LayerNorm(name: "n", weight: [1, 1, 2, 1], bias: [0, 0, 0, 1], eps: 0)
        let y = norm(Tensor(shape: [1, 4], data: [1, 2, 3, 4]))
        let s = Float(1.25).squareRoot()
        let want: [Float] = [-1.5 / s, -0.5 / s, 2 * 0.5 / s, 1.5 / s + 1]
        for i in 0..<4 { #expect(abs(y.data[i] - want[i]) < 1e-6) }
    }

    @Test func ropeRotatesHalvesByPositionAngle() {
        // head_dim 4, θ = 100: frequencies 1 and 0.1; position 2 rotates pair (x0, x2) by 2 rad and
        // (x1, x3) by 0.2 rad. Position 0 leaves the vector alone.
        let rope = RotaryEmbedding(headDim: 4, theta: 100)
        var x = Tensor(shape: [2, 4], data: [1, 2, 3, 4, 1, 2, 3, 4])
        rope.table(positions: [0, 2]).apply(to: &x, heads: 1)
        #expect(Array(x.data[0..<4]) == [1, 2, 3, 4])
        let c2 = Float(cos(2.0)), s2 = Float(sin(2.0)), c02 = Float(cos(0.2)), s02 = Float(sin(0.2))
        let want: [Float] = [1 * c2 - 3 * s2, 2 * c02 - 4 * s02, 3 * c2 + 1 * s2, 4 * c02 + 2 * s02]
        for i in 0..<4 { #expect(abs(x.data[4 + i] - want[i]) < 1e-6) }
    }

    @Test func embeddingRejectsTokenOutsideVocabulary() {
        let e = Embedding(name: "e", weight: Tensor(zeros: [3, 2]))
        #expect(throws: TransformerError.tokenOutOfRange(token: 3, vocabularySize: 3)) { try e([0, 3]) }
        #expect(throws: TransformerError.tokenOutOfRange(token: -1, vocabularySize: 3)) { try e([-1]) }
    }
}
