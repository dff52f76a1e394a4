import PareNN
import PareTensor

/// The training loop every decoder-LM method shares (`finetune`, `quant-qat`, AGP's fine-tuning
/// between pruning steps): `steps` Adam steps (`torch.optim.Adam`'s update) over every parameter,
/// each on the summed next-token gradients of `batch` windows of the training text (taken in
/// order, cycled), pruned zeros masked so they stay exactly zero (`DecoderTrainingState`).
struct DecoderTrainer {
    /// The method training, for messages.
    let method: String
    let steps: Int
    let learningRate: Double
    let batch: Int

    /// The decoder and training text of `model` and `context`, or a ConfigError (one sentence)
    /// naming what cannot be trained; `quantizedHint` ends the sentence for a layer that is
    /// already quantized or factored.
    static func check(_ model: Model, _ context: CompressionContext, method: String,
                      quantizedHint: String, frozenEncodings: Set<String> = []) throws -> (CausalDecoder, TextWindows) {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(method) trains decoder LMs; an MLP's methods fine-tune with their own finetune_epochs=, and encoders are not trained yet.")
        }
        guard let text = context.trainingText else {
            throw ConfigError("\(method) trains on text: pass --train text:FILE[,tokens=N][,context=C] (another text than --test).")
        }
        guard text.windows.allSatisfy({ $0.count >= 2 }), !text.windows.isEmpty else {
            throw ConfigError("\(method): the training text gives no window of 2 or more tokens; give a longer text or a larger context.")
        }
        let accepted = FineTune.trainableEncodings.union(frozenEncodings)
        if let layer = decoder.linears.first(where: { !accepted.contains($0.weight.encodingName) }) {
            throw ConfigError("\(method): \(layer.name) is stored \(layer.weight.encodingName), whose codes cannot take a float update; \(quantizedHint).")
        }
        if decoder.embedTokens.factors != nil {
            throw ConfigError("\(method): the token embedding is stored as two low-rank factors, which training would turn back into one table; train before factoring it.")
        }
        guard case .rms = decoder.norm, decoder.spec.activation == .silu else {
            throw ConfigError("\(method) trains RMSNorm SwiGLU decoders (Llama, Qwen2, Mistral) so far; this one uses LayerNorm or another activation.")
        }
        return (decoder, text)
    }

    /// What one run of `train` left: the trained decoder (masked weights stored sparse), the
    /// loss per step, and how many pruned weights were held at zero.
    struct Outcome {
        var decoder: CausalDecoder
        var losses: [Double]
        var maskedCount: Int
    }

    /// Trains `start`. `forward` gives the decoder whose gradient is taken from the current
    /// (latent) one — itself for plain fine-tuning, the fake-quantized one for QAT — and `adjust`
    /// may change the gradients before the update (QAT's straight-through mask). `gradient`
    /// takes one window's gradient (the next-token loss by default; distillation's loss), and
    /// `afterStep` sees each finished step (distillation steps its projections there).
    /// `firstStep` offsets the windows, so successive calls (AGP) keep walking through the text.
    func train(_ start: CausalDecoder, text: TextWindows, firstStep: Int = 1,
               progress: (Double, String) -> Void,
               forward: (CausalDecoder) throws -> CausalDecoder = { $0 },
               gradient: (CausalDecoder, [Int]) throws -> DecoderGradients = { try $0.gradients(tokens: $1) },
               adjust: (CausalDecoder, inout DecoderGradients) -> Void = { _, _ in },
               afterStep: (_ step: Int, _ loss: Double) throws -> Void = { _, _ in }) throws -> Outcome {
        let adam = Adam(learningRate: learningRate)
        var decoder = start
        var state = DecoderTrainingState(decoder)
        var losses: [Double] = []
        for step in 1...steps {
            var (sum, loss) = try batchGradients(try forward(decoder), windows: text.windows, step: firstStep + step - 1,
                                                 gradient: gradient)
            adjust(decoder, &sum)
            state.step(&decoder, gradients: sum, scale: 1 / Float(batch), adam: adam)
            losses.append(loss)
            try afterStep(step, loss)
            progress(Double(step) / Double(steps), "loss \(String(format: "%.3f", loss))")
        }
        return Outcome(decoder: state.finished(decoder), losses: losses, maskedCount: state.maskedCount)
    }

    /// The summed gradients of step `step`'s `batch` windows (taken in order, cycled) and their
    /// mean loss.
    func batchGradients(_ decoder: CausalDecoder, windows: [[Int]], step: Int,
                        gradient: (CausalDecoder, [Int]) throws -> DecoderGradients = { try $0.gradients(tokens: $1) }) throws -> (DecoderGradients, Double) {
        var sum: DecoderGradients?
        var loss = 0.0
        for b in 0..<batch {
            let g: DecoderGradients
            do { g = try gradient(decoder, windows[((step - 1) * batch + b) % windows.count]) } catch let error as DecoderGradientError {
                throw ConfigError("\(method): \(error.description).")
            }
            loss += g.loss / Double(batch)
            sum = sum.map { DecoderTrainingState.adding($0, g) } ?? g
        }
        return (sum!, loss)
    }

    /// Tokens seen by `steps` steps of `batch` windows.
    func tokens(_ text: TextWindows) -> Int { steps * batch * (text.windows.first?.count ?? 0) }

    /// "trained N steps of B windows (T tokens) with Adam, lr …: train loss a → b", `verb` first.
    func note(_ verb: String, losses: [Double], text: TextWindows) -> String {
        "\(verb) \(steps) step\(steps == 1 ? "" : "s") of \(batch) window\(batch == 1 ? "" : "s") (\(tokens(text)) tokens) with Adam, lr \(learningRate): train loss \(String(format: "%.4f", losses.first!)) → \(String(format: "%.4f", losses.last!))"
    }
}
