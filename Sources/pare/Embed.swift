import ArgumentParser
import Foundation
import Pare

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print an encoder's sentence embedding (mean-pooled, L2-normalised) as JSON.",
        discussion: """
        As sentence-transformers computes it. One JSON array per sentence, one line each.
        Example: pare embed --model ~/.cache/pare/all-MiniLM-L6-v2 "This is an example sentence"
        """
    )

    @Argument(help: "One or more sentences.") var sentences: [String]
    @OptionGroup var source: ModelSourceOption

    func run() throws {
        try reportingErrors {
            guard !sentences.isEmpty else { throw UsageError("give at least one sentence to embed.") }
            let loaded = try source.load()
            guard case .encoder(let encoder) = loaded.model else {
                throw UsageError("\(loaded.source) is a decoder LM (\(loaded.model.modelType)); embed needs an encoder such as BERT — use `pare generate` for decoders.")
            }
            for sentence in sentences {
                let e = try Inference.embed(encoder, tokenizer: loaded.tokenizer, sentence: sentence)
                printOut("[" + e.map { String(format: "%.6f", $0) }.joined(separator: ", ") + "]\n")
            }
        }
    }
}
