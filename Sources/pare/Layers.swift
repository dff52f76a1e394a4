import ArgumentParser
import Foundation
import Pare
import PareNN
import PareStore

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List a model's Linear layers: the names `--set layers=` patterns match.",
        discussion: """
        Marks the layers a method compresses when `layers=` is not given (every Linear inside a
        transformer's blocks; all of an MLP's).
        Example: pare layers --model ~/.cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --match "*.mlp.*"
        """
    )

    @Option(help: "The model: MLP safetensors, a Hugging Face directory or a GGUF file.") var model: String
    @Option(help: "Only the layers matching this glob (e.g. \"model.layers.*.self_attn.q_proj\").") var match: String?
    @OptionGroup var format: FormatOption

    func run() throws {
        try reportingErrors {
            let loaded = try ModelIO.load(contentsOf: URL(fileURLWithPath: model))
            let defaults = Set(loaded.model.defaultLayerNames)
            let layers = loaded.model.layers.filter { match == nil || globMatches(match!, $0.name) }
            if let match, layers.isEmpty { throw PareError("the pattern '\(match)' matches no layer of \(model).") }
            let rows = layers.map { l -> [TableValue] in
                [.text(l.name), .int(Int64(l.outFeatures)), .int(Int64(l.inFeatures)),
                 .text(type(of: l.weight).encodingName), .text(l.bias == nil ? "no" : "yes"),
                 .text(defaults.contains(l.name) ? "yes" : "no")]
            }
            let table = ResultTable(columns: ["layer", "out", "in", "encoding", "bias", "default"], rows: rows)
            printOut(try table.rendered(as: format.format))
        }
    }
}
