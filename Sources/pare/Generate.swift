import ArgumentParser
import Foundation
import Pare

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a decoder LM (a model file or a recorded run's compressed model).",
        discussion: """
        Greedy by default (deterministic); --temperature T > 0 samples, reproducibly for a --seed.
        The text streams to stdout as it is generated; it stops at the end-of-sequence token.
        Examples:
          pare generate --model ~/.cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --prompt "The capital of France is" --max-tokens 1
          pare generate --run 4 --prompt "Emma Woodhouse was" --max-tokens 40
        """
    )

    @Option(help: "The text to continue.") var prompt: String
    @OptionGroup var source: ModelSourceOption
    @Option(parsing: .unconditional, help: "At most this many new tokens.") var maxTokens: Int = 32
    @Option(parsing: .unconditional, help: "0 = greedy; above 0 samples from softmax(logits / T).") var temperature: Double = 0
    @Option(parsing: .unconditional, help: "Seed for sampling.") var seed: UInt64 = 0

    func run() throws {
        try reportingErrors {
            guard maxTokens >= 1 else { throw UsageError("--max-tokens must be at least 1.") }
            guard temperature >= 0, temperature.isFinite else { throw UsageError("--temperature must be 0 (greedy) or positive.") }
            let loaded = try source.load()
            guard case .decoder(let decoder) = loaded.model else {
                throw UsageError("\(loaded.source) is an encoder (\(loaded.model.modelType)); generate needs a decoder LM — use `pare embed` for encoders.")
            }
            _ = try Inference.generate(decoder, tokenizer: loaded.tokenizer, prompt: prompt, maxTokens: maxTokens,
                                       sampling: .init(temperature: temperature, seed: seed)) { piece in printOut(piece) }
            printOut("\n")
        }
    }
}
