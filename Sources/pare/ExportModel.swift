import ArgumentParser
import Foundation
import Pare
import PareStore
import PareTensor

struct ExportModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-model",
        abstract: "Write a run's compressed model back as a runnable model: safetensors (MLP), a Hugging Face directory or a GGUF file for llama.cpp (transformer).",
        discussion: """
        Weights are decoded to F32 (pruned zeros, quantized values and shrunk shapes kept), so any
        PyTorch or Pare reader runs the model as it was evaluated. A transformer is written as a
        Hugging Face directory (config.json, model.safetensors under the checkpoint's tensor names,
        tokenizer.json); a low-rank layer NAME is stored as its two factors NAME.0.weight [k, in]
        and NAME.1.weight [out, k], listed in the safetensors metadata "lowrank".
        With --out F.gguf (or --type) a decoder (llama, mistral, qwen2) is written as GGUF v3 for
        llama.cpp, Ollama and LM Studio: hyper-parameters, tokenizer.ggml.*, llama.cpp's tensor
        names and q/k row order, and pare.run_id, pare.method and pare.config. A weight stored as
        int8 symmetric group 32, int4 symmetric group 32 or int4 affine group 32 is written as
        Q8_0, Q4_0 or Q4_1 with its codes copied (scales Float32 → fp16, rounded only where fp16
        cannot hold them); without --type every other matrix becomes F16, norms and biases F32.
        --type T writes every matrix as T: copied when stored exactly as T, else decoded and
        re-encoded with ggml's reference quantizer (a K-quant falls back to Q5_0 / Q8_0 where 256
        does not divide a row, as llama-quantize does). Sparse weights are written dense, a
        low-rank pair as its product.
        One line per group of tensors says what was done to them.
        Examples:
          pare export-model 12 --out smollm2-int4.gguf && llama-perplexity -m smollm2-int4.gguf -f emma.txt
          pare export-model 12 --out smollm2-q8.gguf --type q8_0 && pare record --model smollm2-q8.gguf --method none --test text:emma.txt
          pare export-model 3 --out pruned.safetensors && pare record --model pruned.safetensors --test test.csv --method none
          pare export-model 7 --out smollm2-int8/ && pare record --model smollm2-int8 --test text:emma.txt --method none
        """
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "The safetensors file (MLP), new directory (transformer) or .gguf file (decoder, for llama.cpp) to write.") var out: String
    @Option(help: "GGUF only: the type of every matrix (\(GGUFExportType.allCases.map(\.rawValue).joined(separator: "|"))); default: the exact ggml encoding where one holds the stored codes, else f16.")
    var type: GGUFExportType?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try database.openModels()
            let asGGUF = type != nil || out.lowercased().hasSuffix(".gguf")
            let (model, files) = try StoredModel.loadTransformer(run: runID, from: store)
            if asGGUF {
                guard let transformer = model.transformer else {
                    throw PareError("run \(runID) is an MLP; GGUF is llama.cpp's format for transformers, so export it as safetensors (--out FILE.safetensors).")
                }
                let detail = try store.show(run: runID)
                func field(_ name: String) -> String {
                    if case .text(let s)? = detail.fields.first(where: { $0.name == name })?.value { return s }
                    return ""
                }
                let run = GGUFExport.Run(id: runID, name: field("name"), method: field("method"), configJSON: field("config"))
                for line in try GGUFExport.write(transformer, files: files, run: run, type: type, to: out, protecting: database.protected) {
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                }
            } else if let transformer = model.transformer {
                try TransformerIO.exportDirectory(transformer, files: files, to: out, protecting: database.protected)
            } else {
                try OutputFile.check(out, protecting: database.protected)
                try TeacherTraining.write(model, to: URL(fileURLWithPath: out), protecting: database.protected)
            }
            printOut("\(out)\n")
        }
    }
}

extension GGUFExportType: ExpressibleByArgument {}
