import ArgumentParser
import Foundation
import Pare

/// Which transformer `tokenize`, `generate` and `embed` run: a model file, or a recorded run's
/// compressed model (read from the database, which is never written).
struct ModelSourceOption: ParsableArguments {
    @Option(help: "A transformer: a Hugging Face model directory or a GGUF file.") var model: String?
    @Option(name: .customLong("run"), help: "A recorded run whose compressed model to use instead of --model.") var runID: Int64?
    @OptionGroup var database: DatabaseOption

    func load() throws -> Inference.Loaded {
        switch (model, runID) {
        case (nil, nil): throw UsageError("pass --model PATH (a Hugging Face directory or GGUF file) or --run ID.")
        case (.some, .some): throw UsageError("--model and --run both name the model; pass one.")
        case (.some(let path), nil): return try Inference.load(modelPath: path)
        case (nil, .some(let id)): return try Inference.load(run: id, from: try database.openModels())
        }
    }
}
