import ArgumentParser
import Foundation
import Pare
import PareStore

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Record a run another tool computed (llm-compressor, AutoGPTQ, llama-quantize, a script).",
        discussion: """
        Examples:
          pare log --method gptq --base meta-llama/Llama-3.2-1B --param bits=4 --param group_size=128 \\
              --metric perplexity=11.82 --tag tool=llm-compressor
          pare log --method llama-quantize --base SmolLM2-135M-Instruct.gguf --model smollm2-q4_0.gguf \\
              --param type=Q4_0 --evaluate --test text:emma.txt,tokens=2048,context=512
          pare log --method gptq --base SmolLM2-135M-Instruct.gguf --uid mlflow-7f3a --started-at 2025-01-31T12:00:00Z \\
              --ended-at 2025-01-31T12:04:10Z --metric perplexity=31.2
          pare log --from runs.jsonl
        --base: a model Pare can load (recorded as the run's base model, so the run compares with
        that model's `none` run), or a name kept as the param base_model.
        --model: the compressed model, stored exactly (`pare export-model RUN` writes it back;
        that needs --base to be the model file); Pare measures its size_bytes and params_total.
        --param values are typed (4 is an int, 0.5 a real, true/false a boolean, else text);
        --metric values are numbers, recorded as reported by the user. With --evaluate Pare
        measures --model on --test as `pare record --method none` would, and the --metric values
        are kept beside its own.
        --from FILE.jsonl: one JSON object per line with the same fields ("method", "base",
        "model", "params" {k: value}, "metrics" {k: number}, "tags" {k: text}, "name",
        "experiment", "evaluate" true/false with "test" SPEC, "started_at", "ended_at", "uid";
        --no-timing applies to every line Pare evaluates); a line whose uid is recorded already is
        skipped, so logging a file again records nothing twice. Good lines are recorded, each
        bad one is named on stderr; exit 1 if any line was refused.
        Prints the new run ids on stdout, one a line.
        """
    )

    @Option(help: "The method the other tool ran, e.g. gptq.") var method: String?
    @Option(help: "The base model: a model file or directory Pare can load, or a name (e.g. meta-llama/Llama-3.2-1B).") var base: String?
    @Option(help: "The compressed model (safetensors, Hugging Face directory or GGUF), stored exactly.") var model: String?
    @Option(name: .customLong("param"), help: "A setting the tool used, NAME=VALUE (repeatable).") var params: [String] = []
    @Option(name: .customLong("metric"), help: "A number the tool measured, NAME=VALUE (repeatable).") var metrics: [String] = []
    @Option(name: .customLong("tag"), help: "A label, NAME=VALUE (repeatable).") var tags: [String] = []
    @Option(help: "A name for the run.") var name: String?
    @Option(help: "The experiment the run belongs to (with --from: for lines that name none).") var experiment: String = "default"
    @Option(help: "When the other tool started the run, ISO 8601 (e.g. 2025-01-31T12:34:56Z); default now.") var startedAt: String?
    @Option(help: "When it ended, ISO 8601; default now.") var endedAt: String?
    @Option(help: "The run's identity in the other tool (e.g. its run id): logging the same uid again records nothing.") var uid: String?
    @Flag(help: "Measure --model with Pare's own evaluation on --test.") var evaluate = false
    @Option(help: "With --evaluate: the test data, as for pare record (text:FILE[,tokens=N][,context=C], a CSV, sentences:FILE).") var test: String?
    @Flag(help: "With --evaluate (or --from lines that evaluate): skip latency and throughput measurement.") var noTiming = false
    @Option(help: "A JSON-lines file of runs to record instead of one run from the options.") var from: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            if let from { return try logFile(from) }
            guard let method else { throw UsageError("pass --method NAME: the method the other tool ran (e.g. gptq), or --from FILE.jsonl.") }
            guard let base else { throw UsageError("pass --base MODEL: a base model path, or its name (e.g. meta-llama/Llama-3.2-1B).") }
            let request: LogRequest
            do {
                request = LogRequest(
                    method: method, base: base, modelPath: model,
                    params: Dictionary(uniqueKeysWithValues: try RunLog.pairs(params, option: "param").map { ($0.key, RunLog.paramValue($0.value)) }),
                    metrics: try RunLog.pairs(metrics, option: "metric").map { (key: $0.key, value: try RunLog.metricValue($0.value, key: $0.key)) },
                    tags: Dictionary(uniqueKeysWithValues: try RunLog.pairs(tags, option: "tag").map { ($0.key, $0.value) }),
                    name: name, experiment: experiment, evaluate: evaluate, testPath: test, measureSpeed: !noTiming,
                    startedAt: startedAt, endedAt: endedAt, uid: uid)
                if !evaluate && noTiming { throw LogInputError("--no-timing is for --evaluate; leave it out.") }
                var run = try RunLog.prepare(request)
                let store = try database.openRecorder()
                defer { store.close() }
                if let uid, try !store.existingUIDs([RunLog.storedUID(uid)]).isEmpty {
                    FileHandle.standardError.write(Data("a run with uid \(uid) is recorded already; nothing recorded again\n".utf8))
                    return
                }
                try RunLog.measure(&run, store: store as? Store)
                printOut("\(try store.record(run.start, run.outcome))\n")
            } catch let error as LogInputError {
                throw UsageError(error.description)
            }
        }
    }

    /// `--from`: the one-run options do not apply; each line carries its own.
    func logFile(_ path: String) throws {
        let given = [("--method", method != nil), ("--base", base != nil), ("--model", model != nil),
                     ("--param", !params.isEmpty), ("--metric", !metrics.isEmpty), ("--tag", !tags.isEmpty),
                     ("--name", name != nil), ("--evaluate", evaluate), ("--test", test != nil),
                     ("--started-at", startedAt != nil), ("--ended-at", endedAt != nil), ("--uid", uid != nil)]
        if let (option, _) = given.first(where: \.1) {
            throw UsageError("\(option) describes one run; with --from each line gives its own, so leave \(option) out.")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw UsageError("no file at \(path); --from takes a JSON-lines file.") }
        let store = try database.openRecorder()
        defer { store.close() }
        let summary = try LogLines.record(
            contentsOf: URL(fileURLWithPath: path), store: store, defaultExperiment: experiment, measureSpeed: !noTiming,
            refusedLine: { line, reason in FileHandle.standardError.write(Data("error: \(path):\(line): \(reason)\n".utf8)) },
            recorded: { ids in printOut(ids.map { "\($0)\n" }.joined()) })
        FileHandle.standardError.write(Data("\(summary.description)\n".utf8))
        if !summary.refused.isEmpty { throw ExitCode(1) }
    }
}
