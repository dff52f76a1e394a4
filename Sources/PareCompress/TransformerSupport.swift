/// Which methods compress transformers today: the one-shot ones, structured pruning (heads,
/// channels, blocks), and the calibrated ones that run block by block on a decoder LM
/// (`BlockwiseCalibration`). QAT, fine-tuning and distillation train through an MLP only; on a
/// transformer they are refused before anything is recorded, with this sentence, until training
/// over the module tree lands.
public enum TransformerSupport {
    /// The methods that work on transformers (with the settings `checkTransformerSupport` allows).
    public static let ready = ["none", "prune-magnitude", "prune-nm", "prune-wanda", "prune-sparsegpt", "prune-structured",
                               "quant-weight", "quant-gptq", "quant-awq", "quant-dynamic", "quant-static", "quant-smooth",
                               "lowrank-svd", "finetune", "distill"]

    static func unsupported(_ method: String, because reason: String? = nil) -> ConfigError {
        let why = reason ?? "it trains through the model, which Pare does only on MLPs so far"
        return ConfigError("\(method) does not work on transformers yet: \(why); on a transformer use \(ready.joined(separator: ", ")).")
    }

    static func refuseTraining(_ method: String, epochs: Int) throws {
        guard epochs == 0 else {
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
    public func checkTransformerSupport() throws { try TransformerSupport.refuseTraining(Self.name, epochs: schedule.finetuneEpochs) }
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
