import Foundation
import Testing
import PareTensor
import PareNN

@Suite struct BackpropTests {
    let x = Tensor(shape: [4, 3], data: [0.5, -1, 2, 1.5, 0.3, -0.7, -0.2, 0.9, 0.4, 1, 1, -1])
    let labels = [0, 2, 1, 2]

    /// Central differences of the total loss on a few entries of every weight and bias.
    func checkAgainstFiniteDifferences(_ net: TrainableMLP, hooks: TrainingHooks = .init()) {
        let batch = Array(0..<labels.count)
        let g = Trainer.gradients(net, x: x, labels: labels, batch: batch, hooks: hooks)
        let loss = { (n: TrainableMLP) in Trainer.gradients(n, x: x, labels: labels, batch: batch, hooks: hooks).loss }
        let h: Float = 1e-3
        for layer in 0..<net.layerCount {
            for entry in [0, net.weights[layer].count / 2, net.weights[layer].count - 1] {
                var plus = net, minus = net
                plus.weights[layer].data[entry] += h
                minus.weights[layer].data[entry] -= h
                let numeric = (loss(plus) - loss(minus)) / (2 * Double(h))
                let analytic = Double(g.weights[layer].data[entry])
                #expect(abs(numeric - analytic) < 1e-3 + 1e-2 * abs(analytic), "W\(layer)[\(entry)]: \(numeric) vs \(analytic)")
            }
            for entry in [0, net.biases[layer].count - 1] {
                var plus = net, minus = net
                plus.biases[layer][entry] += h
                minus.biases[layer][entry] -= h
                let numeric = (loss(plus) - loss(minus)) / (2 * Double(h))
                let analytic = Double(g.biases[layer][entry])
                #expect(abs(numeric - analytic) < 1e-3 + 1e-2 * abs(analytic), "b\(layer)[\(entry)]: \(numeric) vs \(analytic)")
            }
        }
    }

    @Test(arguments: [Activation.relu, .gelu])
    func mlpGradientsMatchFiniteDifferences(_ activation: Activation) {
        checkAgainstFiniteDifferences(TrainableMLP(dims: [3, 5, 4, 3], activation: activation, seed: 11))
    }

    @Test func hiddenLossGradientIsIncluded() {
        // ½‖h‖² / batch on the first hidden layer's output.
        var hooks = TrainingHooks()
        hooks.hiddenLoss = { layer, hidden, batch in
            guard layer == 0 else { return nil }
            let n = Double(batch.count)
            let l = hidden.data.reduce(0.0) { $0 + 0.5 * Double($1) * Double($1) } / n
            return (l, Tensor(shape: hidden.shape, data: hidden.data.map { $0 / Float(n) }))
        }
        checkAgainstFiniteDifferences(TrainableMLP(dims: [3, 5, 4, 3], activation: .gelu, seed: 3), hooks: hooks)
    }

    @Test func forwardEqualsModelForward() {
        let net = TrainableMLP(dims: [3, 6, 2], activation: .gelu, seed: 1)
        #expect(net.forward(x) == net.model().forward(x))
        #expect(net.model().layers.map(\.name) == ["fc1", "fc2"])
        let back = TrainableMLP(net.model())
        #expect(back.weights == net.weights && back.biases == net.biases && back.names == net.names)
        let layers = net.forwardLayers(x)
        #expect(layers.count == 2 && layers[0].shape == [4, 6] && layers[0].data.allSatisfy { $0 >= -0.2 })
        #expect(net.model().forwardLayers(x) == layers)
    }

    @Test func pytorchDefaultInitBounds() {
        let net = TrainableMLP(dims: [64, 256, 10], activation: .relu, seed: 5)
        let bound1 = 1 / Float(64).squareRoot(), bound2 = 1 / Float(256).squareRoot()
        #expect(net.weights[0].data.allSatisfy { abs($0) <= bound1 } && net.biases[0].allSatisfy { abs($0) <= bound1 })
        #expect(net.weights[1].data.allSatisfy { abs($0) <= bound2 } && net.biases[1].allSatisfy { abs($0) <= bound2 })
        #expect(net.weights[0].data.contains { abs($0) > 0.9 * bound1 })   // spans the range
        #expect(TrainableMLP(dims: [64, 256, 10], activation: .relu, seed: 5).weights == net.weights)
    }

    @Test func weightTransformSTEMaskStopsGradient() {
        // Fake quantisation to a 0.25 grid clamped to [−0.3, 0.3]; the STE passes gradient only inside.
        let net = TrainableMLP(dims: [3, 5, 3], activation: .relu, seed: 2)
        var hooks = TrainingHooks()
        hooks.weightTransform = { _, w in
            let q = Tensor(shape: w.shape, data: w.data.map { min(0.3, max(-0.3, ($0 * 4).rounded() / 4)) })
            let pass = Tensor(shape: w.shape, data: w.data.map { abs($0) <= 0.3 ? 1 : 0 })
            return (q, pass)
        }
        let g = Trainer.gradients(net, x: x, labels: labels, batch: [0, 1, 2, 3], hooks: hooks)
        // The same network with the quantised weights as its real weights, no hooks.
        var quantised = net
        for i in 0..<2 { quantised.weights[i] = hooks.weightTransform!(i, net.weights[i]).0 }
        let reference = Trainer.gradients(quantised, x: x, labels: labels, batch: [0, 1, 2, 3])
        #expect(abs(g.loss - reference.loss) < 1e-9)
        var blocked = 0
        for layer in 0..<2 {
            for (i, w) in net.weights[layer].data.enumerated() {
                if abs(w) > 0.3 {
                    #expect(g.weights[layer].data[i] == 0)
                    blocked += 1
                } else {
                    #expect(g.weights[layer].data[i] == reference.weights[layer].data[i])
                }
            }
        }
        #expect(blocked > 0)
    }

    @Test func activationTransformPassMaskBlocksEarlierLayers() {
        let net = TrainableMLP(dims: [3, 5, 3], activation: .relu, seed: 2)
        var hooks = TrainingHooks()
        var seenLayers: [Int] = []
        hooks.activationTransform = { layer, input in
            seenLayers.append(layer)
            return (input, layer == 1 ? Tensor(zeros: input.shape) : nil)
        }
        let g = Trainer.gradients(net, x: x, labels: labels, batch: [0, 1, 2, 3], hooks: hooks)
        #expect(seenLayers == [0, 1])
        #expect(g.weights[0].data.allSatisfy { $0 == 0 } && g.biases[0].allSatisfy { $0 == 0 })
        #expect(g.weights[1].data.contains { $0 != 0 })
    }
}
