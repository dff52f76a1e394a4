import PareTensor

/// One forward and backward pass over a minibatch: the loss and the gradient of every weight
/// and bias (the gradient reaching the latent weights: STE pass-masks and pruning masks applied).
public struct Gradients: Sendable {
    public var loss: Double
    public var logits: Tensor
    public var weights: [Tensor]
    public var biases: [[Float]]
}

extension Trainer {
    /// Forward and backward pass of `net` on x (the rows `batch` of a dataset, with `labels`),
    /// honouring every hook except the per-step/epoch callbacks. Public so methods and tests can
    /// check gradients; `train` uses it for every step.
    public static func gradients(_ net: TrainableMLP, x: Tensor, labels: [Int], batch: [Int],
                                 hooks: TrainingHooks = .init()) -> Gradients {
        let layerCount = net.layerCount
        var effectiveWeights: [Tensor] = [], weightPass: [Tensor?] = []
        for i in 0..<layerCount {
            if let transform = hooks.weightTransform {
                let (w, pass) = transform(i, net.weights[i])
                precondition(w.shape == net.weights[i].shape, "weightTransform changed layer \(i)'s shape")
                effectiveWeights.append(w)
                weightPass.append(pass)
            } else {
                effectiveWeights.append(net.weights[i])
                weightPass.append(nil)
            }
        }

        // Forward, keeping what the backward pass needs.
        var inputs: [Tensor] = [], inputPass: [Tensor?] = [], preActivations: [Tensor] = []
        var hiddenGradients: [Tensor?] = Array(repeating: nil, count: layerCount)
        var loss = 0.0
        var h = x
        for i in 0..<layerCount {
            if let transform = hooks.activationTransform {
                let (t, pass) = transform(i, h)
                precondition(t.shape == h.shape, "activationTransform changed layer \(i)'s input shape")
                inputs.append(t)
                inputPass.append(pass)
            } else {
                inputs.append(h)
                inputPass.append(nil)
            }
            let z = linearForward(inputs[i], effectiveWeights[i], net.biases[i])
            if i < layerCount - 1 {
                preActivations.append(z)
                h = net.activation.applied(z)
                if let hiddenLoss = hooks.hiddenLoss, let (l, dHidden) = hiddenLoss(i, h, batch) {
                    precondition(dHidden.shape == h.shape, "hiddenLoss gradient \(dHidden.shape) for hidden \(h.shape)")
                    loss += l
                    hiddenGradients[i] = dHidden
                }
            } else {
                h = z
            }
        }
        let logits = h
        let (mainLoss, dLogits) = hooks.loss?(logits, batch) ?? crossEntropy(logits: logits, labels: labels)
        precondition(dLogits.shape == logits.shape, "loss gradient \(dLogits.shape) for logits \(logits.shape)")
        loss += mainLoss

        // Backward.
        var weightGradients = [Tensor](repeating: Tensor(zeros: [0]), count: layerCount)
        var biasGradients = [[Float]](repeating: [], count: layerCount)
        var dZ = dLogits
        for i in stride(from: layerCount - 1, through: 0, by: -1) {
            var dW = weightGradient(dZ, inputs[i])
            if let pass = weightPass[i] { multiplyInPlace(&dW, pass) }
            if let mask = hooks.masks?[i] { multiplyInPlace(&dW, mask) }
            weightGradients[i] = dW
            biasGradients[i] = biasGradient(dZ)
            guard i > 0 else { break }
            var dH = inputGradient(dZ, effectiveWeights[i])
            if let pass = inputPass[i] { multiplyInPlace(&dH, pass) }
            if let extra = hiddenGradients[i - 1] { addInPlace(&dH, extra) }
            net.activation.backward(&dH, preActivation: preActivations[i - 1])
            dZ = dH
        }
        return Gradients(loss: loss, logits: logits, weights: weightGradients, biases: biasGradients)
    }
}
