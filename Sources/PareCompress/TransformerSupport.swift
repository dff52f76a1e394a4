import PareNN

/// Which methods compress transformers today: the one-shot ones, structured pruning (heads,
/// channels, blocks), the calibrated ones that run block by block (`BlockwiseCalibration`: on
/// decoder LMs all of them, on encoders those that fold nothing into a norm), and on decoder LMs the trained ones (`finetune`, `quant-qat steps=`,
/// `prune-magnitude finetune_steps=`). The rest train through an MLP only; on a transformer they
/// are refused before anything is recorded, with this sentence.
public enum TransformerSupport {
    /// The methods that work on transformers (with the settings `checkTransformerSupport` allows).
    public static let ready = ["none", "prune-magnitude", "prune-nm", "prune-wanda", "prune-sparsegpt", "prune-structured",
                               "quant-weight", "quant-gptq", "quant-awq", "quant-dynamic", "quant-static", "quant-smooth",
                               "lowrank-svd", "finetune", "quant-qat", "distill"]

    static func unsupported(_ method: String, because reason: String? = nil) -> ConfigError {
        let why = reason ?? "it trains through the model, which Pare does only on MLPs so far"
        return ConfigError("\(method) does not work on transformers yet: \(why); on a transformer use \(ready.joined(separator: ", ")).")
    }

    /// `finetune_epochs` counts passes over an MLP's rows; `steps`: the method has the decoder
    /// form, `finetune_steps`.
    static func refuseTraining(_ method: String, epochs: Int, steps: Bool = false) throws {
        guard epochs == 0 else {
            if steps {
                throw ConfigError("\(method): fine-tuning by finetune_epochs=\(epochs) is an MLP's; a decoder LM fine-tunes with finetune_steps=k (Adam steps on --train text), or leave both out to prune one-shot.")
            }
            throw ConfigError("\(method): fine-tuning (finetune_epochs=\(epochs)) does not work on transformers yet; leave finetune_epochs out to compress one-shot.")
        }
    }
}

extension NoCompression { public func checkTransformerSupport() throws {} }
extension QuantWeight { public func checkTransformerSupport() throws {} }
// Dynamic W8A8 quantizes each input row — each token — at run time: ZeroQuant's token-wise scales.
extension QuantDynamic { public func checkTransformerSupport() throws {} }
extension NMPruning { public func checkTransformerSupport() throws {} }

extension MagnitudePruning {
    public func checkTransformerSupport() throws { try TransformerSupport.refuseTraining(Self.name, epochs: schedule.finetuneEpochs, steps: true) }

    /// Fine-tuning (finetune_steps on a decoder, finetune_epochs on an MLP) checked up front.
    public func validate(_ model: Model, context: CompressionContext) throws {
        try schedule.check(model, context: context, method: Self.name)
    }
}

extension LowRankSVD {
    public func checkTransformerSupport() throws { try TransformerSupport.refuseTraining(Self.name, epochs: finetuneEpochs) }
}

// Structured pruning on a transformer needs to be told what goes: heads, channels or blocks.
extension StructuredPruning {
    public func checkTransformerSupport() throws {
        guard transformer != nil else {
            throw ConfigError("\(Self.name) on a transformer needs --set target=heads|channels|blocks (attention heads, MLP channels or whole blocks).")
        }
    }
}
