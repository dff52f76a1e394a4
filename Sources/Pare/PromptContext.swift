import PareCompress
import PareNN

extension CompressionContext {
    /// Hands a run's prompts (`--train prompts:`, `--test prompts:`), the base model's tokenizer
    /// and its hash to the method, for black-box distillation from a teacher's text.
    mutating func addPrompts(_ data: RunData, base: ModelIO.Loaded) {
        trainingPrompts = data.trainPrompts
        if case .prompts(let p) = data.test { testPrompts = p }
        tokenizer = base.tokenizer
        baseModelHash = base.hash
    }
}
