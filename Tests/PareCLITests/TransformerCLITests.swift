import Foundation
import PareTestSupport
import Testing

/// Transformers on the command line: tokenize, generate, embed and layers on tiny models, and
/// every bad transformer input rejected with one sentence, exit 1, the database unchanged.
@Suite struct TransformerCLITests {
    let bad = BadInputTests()

    @Test func tokenizeGenerateEmbedAndLayers() throws {
        let cli = CLI()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let bert = try TinyTransformers.bert(in: cli.directory).path
        let ids = try cli.run(["tokenize", "--model", llama, "hello world", "--format", "json"], db: false)
        #expect(ids.status == 0 && ids.stdout.hasPrefix("[") && ids.stdout.hasSuffix("]\n"), "\(ids.stderr)")
        // Greedy decoding is deterministic: the same four tokens twice.
        let a = try cli.run(["generate", "--model", llama, "--prompt", "hello", "--max-tokens", "4"], db: false)
        let b = try cli.run(["generate", "--model", llama, "--prompt", "hello", "--max-tokens", "4"], db: false)
        #expect(a.status == 0 && a.stdout == b.stdout && !a.stdout.isEmpty, "\(a.stderr)")
        let e = try cli.run(["embed", "--model", bert, "the quick brown fox"], db: false)
        #expect(e.status == 0, "\(e.stderr)")
        let vector = try JSONDecoder().decode([Double].self, from: Data(e.stdout.utf8))
        #expect(vector.count == 32 && abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)   // L2-normalised
        let layers = try cli.run(["layers", "--model", llama, "--match", "*.mlp.*", "--format", "csv"], db: false)
        #expect(layers.stdout.split(separator: "\n").count == 1 + 2 * 3, "\(layers.stdout)")

        // A recorded run's model is the one generate --run uses.
        let text = try TinyTransformers.text(in: cli.directory).path
        let run = try cli.run(["record", "--model", llama, "--test", "text:\(text),tokens=100,context=32", "--method", "none", "--no-timing"])
        #expect(run.status == 0, "\(run.stderr)")
        let fromRun = try cli.run(["generate", "--run", run.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                                   "--prompt", "hello", "--max-tokens", "4"])
        #expect(fromRun.stdout == a.stdout, "\(fromRun.stderr)")
    }

    @Test func badTransformerInputsAreOneSentenceAndLeaveTheDatabase() throws {
        let cli = try BadInputTests.prepared()
        let folder = cli.directory.appending(path: "models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try TinyTransformers.llama(in: folder)
        let text = try TinyTransformers.text(in: folder).path
        func record(_ model: String, test: String = "text:\(text),tokens=100,context=32", method: String = "none",
                    _ extra: [String] = []) -> [String] {
            bad.record(cli, model: model, test: test, method: method, extra)
        }
        // A truncated GGUF, and a GGUF that is only its magic.
        let gguf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLI.fixture("gguf/llama_tiny_tied.gguf"))))
        try bad.expectRejected(cli, record(bad.file(cli, "cut.gguf", Array(gguf.prefix(gguf.count / 2)))), mentioning: ["cut.gguf"])
        try bad.expectRejected(cli, record(bad.file(cli, "magic.gguf", Array("GGUF".utf8))), mentioning: ["magic.gguf"])
        // A config.json that is not JSON, one with an unknown architecture, one that contradicts the tensors.
        func variant(_ name: String, _ edit: (String) -> String) throws -> String {
            let dir = folder.appending(path: name)
            try FileManager.default.copyItem(at: llama, to: dir)
            let config = try String(contentsOf: dir.appending(path: "config.json"), encoding: .utf8)
            try Data(edit(config).utf8).write(to: dir.appending(path: "config.json"))
            return dir.path
        }
        try bad.expectRejected(cli, record(try variant("truncated", { String($0.prefix(40)) })), mentioning: ["config.json", "JSON"])
        try bad.expectRejected(cli, record(try variant("unknown", { $0.replacingOccurrences(of: "\"llama\"", with: "\"mamba\"") })),
                               mentioning: ["mamba", "llama"])
        try bad.expectRejected(cli, record(try variant("heads", { $0.replacingOccurrences(of: "\"hidden_size\":32", with: "\"hidden_size\":40") })),
                               mentioning: ["model.embed_tokens.weight"])
        // A tokenizer larger than the model's vocabulary.
        let small = try TinyTransformers.llama(in: folder.appending(path: "small"), vocabulary: 300).path
        try bad.expectRejected(cli, record(small), mentioning: ["tokenizer", "300"])
        // Text that is not UTF-8, a window longer than the model's context, a pattern that matches nothing.
        let latin1 = bad.file(cli, "latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A])
        try bad.expectRejected(cli, record(llama.path, test: "text:\(latin1),context=32"), mentioning: ["latin1.txt", "UTF-8"])
        try bad.expectRejected(cli, record(llama.path, test: "text:\(text),context=100"), mentioning: ["context", "64"])
        try bad.expectRejected(cli, record(llama.path, method: "quant-weight", ["--set", "layers=*.nope*"]), mentioning: ["*.nope*", "matches no layer"])
        // A method that needs calibration text, one that trains, and the wrong kind of data.
        try bad.expectRejected(cli, record(llama.path, method: "prune-wanda"), mentioning: ["prune-wanda", "--calib text:"])
        try bad.expectRejected(cli, record(llama.path, method: "quant-qat"), mentioning: ["quant-qat", "steps="])
        try bad.expectRejected(cli, record(llama.path, method: "quant-gptq", ["--calib", "text:\(text),samples=0"]), mentioning: ["samples"])
        try bad.expectRejected(cli, record(llama.path, test: CLI.fixture("digits_test.csv")), mentioning: ["text:"])
    }
}
