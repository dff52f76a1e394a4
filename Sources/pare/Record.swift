import ArgumentParser
import Foundation
import Pare
import PareNN

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Compress a model with one method, evaluate it and record the run.",
        discussion: """
        Examples:
          pare record --model teacher.safetensors --test test.csv --method prune-magnitude --set amount=0.5
          pare record --model teacher.safetensors --test test.csv --method quant-weight --set bits=8
          pare record --model SmolLM2-135M-Instruct.Q4_1.gguf --test text:emma.txt,tokens=2048,context=512 \
              --method quant-weight --set bits=4 --set granularity=group --set group_size=64 --set layers='model.layers.*'
          pare record --model all-MiniLM-L6-v2/ --train sentences:train.tsv --test sentences:test.tsv --method prune-nm
          pare record --model SmolLM2-135M-Instruct.Q4_1.gguf --train text:persuasion.txt,tokens=1024,context=256 \
              --test text:emma.txt,tokens=1024,context=256 --method quant-qat --set steps=4 --set bits=4 \
              --set granularity=group --set group_size=32   (QAT; ends in quant-weight's codes, GGUF Q4_0)
          pare record --model SmolLM2-135M-Instruct.Q4_1.gguf --train text:persuasion.txt,context=256 … \
              --method prune-magnitude --set amount=0.5 --set schedule=agp --set steps=4 --set finetune_steps=2
        On a transformer, layers= takes glob patterns over Hugging Face paths (`pare layers --model M`
        lists them); by default every Linear inside the blocks, never the embeddings or lm_head.
        text: defaults: tokens=4096, context=512 (non-overlapping windows, every position scored).
        Pipelines (each stage recorded as a run whose parent is the previous stage; the last run's
        metrics are the whole pipeline's, against the original model):
          pare record … --method prune-magnitude+quant-weight --set prune.amount=0.5 --set quant.bits=4
          pare record … --recipe recipe.json   ({"stages":[{"method":"prune-magnitude","settings":{"amount":0.5}},…]})
        A pipeline setting is PREFIX.key: the stage's family (prune, quant) when unique in the
        pipeline, its full method name, or its number (1, 2, …).
        Prints the new (last) run's id on stdout; the stage ids go to stderr with --verbose.
        Per-layer settings: --set 'per_layer=*.self_attn.*:bits=8;*.mlp.*:bits=4' (grammar in `pare methods --help`).
        List the methods with `pare methods`.
        """
    )

    @Option(help: "The base model: an MLP safetensors file, a Hugging Face model directory or a GGUF file.") var model: String
    @Option(help: "Architecture when the file has no __metadata__, e.g. mlp:64,256,128,10:relu.") var arch: String?
    @Option(help: "Training data: CSV with a label column (split 80/20 when --test is absent); for an encoder's probe, sentences:FILE.") var train: String?
    @Option(help: "Test data: CSV with a label column; text:FILE[,tokens=N][,context=C] for a decoder LM; sentences:FILE[,rows=N] for an encoder.") var test: String?
    @Option(help: "Calibration data for data-aware methods: a CSV for an MLP; text:FILE[,samples=N][,context=C] for a decoder LM (defaults 32 windows of 512 tokens; use another text than --test); sentences:FILE[,rows=N] for an encoder.") var calib: String?
    @Option(help: "The compression method (see `pare methods`), or a pipeline A+B.") var method: String?
    @Option(help: "A pipeline recipe (JSON) instead of --method.") var recipe: String?
    @Flag(help: "Print each pipeline stage's run id on stderr.") var verbose = false
    @Option(name: .customLong("set"), help: "A method setting key=value (repeatable).") var settings: [String] = []
    @Option(help: "A name for the run.") var name: String?
    @Option(help: "The experiment the run belongs to.") var experiment: String = "default"
    @Option(parsing: .unconditional, help: "Seed for every random choice (splits, training).") var seed: UInt64 = 0
    @Flag(help: "Skip latency and throughput measurement (faster).") var noTiming = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let settings = try parseSettings(settings)
            let spec: PipelineSpec
            switch (method, recipe) {
            case (nil, nil): throw UsageError("pass --method NAME (see `pare methods`) or --recipe FILE.json.")
            case (.some, .some): throw UsageError("--method and --recipe both name what to run; pass one.")
            case (.some(let method), nil): spec = try PipelineSpec.parse(method: method, settings: settings)
            case (nil, .some(let recipe)):
                guard settings.isEmpty else { throw UsageError("--set does not combine with --recipe; put the settings in the recipe.") }
                spec = try PipelineSpec.recipe(contentsOf: URL(fileURLWithPath: recipe))
            }
            let request = RecordRequest(
                modelPath: model, arch: arch, trainPath: train, testPath: test, calibrationPath: calib,
                method: spec.name, settings: settings, name: name, experiment: experiment,
                seed: seed, measureSpeed: !noTiming)
            let prepared = try Pipeline.prepare(request, spec: spec)
            let interrupts = InterruptGuard.shared
            let store = try database.openTracker()
            defer { store.close() }
            let bar = ProgressBar(label: spec.name)
            let ids = try Pipeline.record(prepared, store: store, progress: { bar.update($0, $1) },
                                          onRunStarted: { interrupts.track($0, in: store) })
            bar.finish()
            interrupts.track(nil, in: nil)
            if verbose && ids.count > 1 {
                let stages = zip(spec.stages, ids).enumerated().map { "stage \($0 + 1) \($1.0.method): run \($1.1)" }
                FileHandle.standardError.write(Data((stages.joined(separator: "\n") + "\n").utf8))
            }
            printOut("\(ids.last!)\n")
        }
    }
}
