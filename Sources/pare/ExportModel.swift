import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct ExportModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-model",
        abstract: "Write a run's compressed model back as a runnable model: safetensors (MLP) or a Hugging Face directory (transformer).",
        discussion: """
        Weights are decoded to F32 (pruned zeros, quantized values and shrunk shapes kept), so any
        PyTorch or Pare reader runs the model as it was evaluated. A transformer is written as a
        Hugging Face directory (config.json, model.safetensors under the checkpoint's tensor names,
        tokenizer.json); a low-rank layer NAME is stored as its two factors NAME.0.weight [k, in]
        and NAME.1.weight [out, k], listed in the safetensors metadata "lowrank".
        Examples:
          pare export-model 3 --out pruned.safetensors && pare record --model pruned.safetensors --test test.csv --method none
          pare export-model 7 --out smollm2-int8/ && pare record --model smollm2-int8 --test text:emma.txt --method none
        """
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "The safetensors file (MLP) or new directory (transformer) to write.") var out: String
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try database.openForReading()
            let (model, files) = try StoredModel.loadTransformer(run: runID, from: store)
            if let transformer = model.transformer {
                try TransformerIO.exportDirectory(transformer, files: files, to: out, protecting: database.protected)
            } else {
                try OutputFile.check(out, protecting: database.protected)
                try TeacherTraining.write(model, to: URL(fileURLWithPath: out), protecting: database.protected)
            }
            printOut("\(out)\n")
        }
    }
}
