import ArgumentParser
import Foundation
import Pare

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids a transformer's tokenizer gives a text.",
        discussion: """
        Special tokens are added as the model adds them (BERT's [CLS] … [SEP]; a BOS token where the
        tokenizer asks for one); --no-special leaves them out.
        Example: pare tokenize --model ~/.cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "The capital of France is"
        """
    )

    @Argument(help: "The text.") var text: String
    @OptionGroup var source: ModelSourceOption
    @Flag(name: .customLong("no-special"), help: "Leave out the special tokens the model adds.") var noSpecial = false
    @Option(help: "Output: table (ids and their tokens), csv or json (the ids).") var format: TokenizeFormat = .table

    enum TokenizeFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    func run() throws {
        try reportingErrors {
            let loaded = try source.load()
            let ids = Inference.tokenize(text, with: loaded.tokenizer, addSpecialTokens: !noSpecial)
            switch format {
            case .json: printOut("[" + ids.map(String.init).joined(separator: ", ") + "]\n")
            case .csv:
                printOut("position,id,token\n" + ids.enumerated().map { i, id in
                    "\(i),\(id),\(csvField(loaded.tokenizer.decode([id], skipSpecialTokens: false)))"
                }.joined(separator: "\n") + "\n")
            case .table:
                printOut(ids.map(String.init).joined(separator: " ") + "\n")
                let pieces = ids.map { "\($0)=" + String(reflecting: loaded.tokenizer.decode([$0], skipSpecialTokens: false)) }
                printOut("\(ids.count) tokens: " + pieces.joined(separator: " ") + "\n")
            }
        }
    }

    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
