import Foundation
import PareTestSupport
import Testing

/// `pare record --method distill` on a decoder LM: bad input is one sentence, exit 1, and the
/// database byte for byte as it was; a good run records the student and its baseline.
@Suite struct DecoderDistillCLITests {
    let bad = BadInputTests()

    @Test func badLMDistillationInputIsOneSentenceAndLeavesTheDatabase() throws {
        let cli = try BadInputTests.prepared()
        let folder = cli.directory.appending(path: "models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try TinyTransformers.llama(in: folder).path
        let other = try TinyTransformers.llama(in: folder.appending(path: "wide"), vocabulary: 600).path
        let text = try TinyTransformers.text(in: folder).path
        func distill(_ settings: [String], train: Bool = true) -> [String] {
            var args = ["record", "--model", llama, "--test", "text:\(text),tokens=100,context=32", "--method", "distill", "--no-timing"]
            if train { args += ["--train", "text:\(text),tokens=64,context=32"] }
            for s in settings { args += ["--set", s] }
            return args
        }
        func rejected(_ arguments: [String], _ words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            try bad.expectRejected(cli, arguments, mentioning: words, sourceLocation: sourceLocation)
            #expect(try cli.run(arguments).status == 1, sourceLocation: sourceLocation)
        }
        try rejected(distill(["student_model=\(other)", "steps=1"]), ["vocabulary of 600", "540", "tokenizer"])
        try rejected(distill(["student=layers:1", "feature_layers=1:3"]), ["feature_layers", "student block 3"])
        try rejected(distill(["student=layers:1", "feature_layers=9:0"]), ["feature_layers", "teacher block 9"])
        try rejected(distill(["student=layers:1", "alpha=1.5"]), ["alpha=1.5", "[0, 1]"])
        try rejected(distill(["student=layers:1"], train: false), ["--train text:"])
        try rejected(distill(["student=mlp:4,2"]), ["distill", "student=layers:K"])
        try rejected(distill(["student=layers:5"]), ["layers:5", "2"])
    }

    @Test func aDepthReducedStudentIsRecordedBesideItsBaseline() throws {
        let cli = CLI()
        let folder = cli.directory.appending(path: "models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try TinyTransformers.llama(in: folder).path
        let text = try TinyTransformers.text(in: folder).path
        let result = try cli.run(["record", "--model", llama, "--test", "text:\(text),tokens=100,context=32",
                                  "--train", "text:\(text),tokens=64,context=32", "--method", "distill", "--no-timing",
                                  "--set", "student=layers:1", "--set", "steps=2", "--set", "kl=reverse"])
        #expect(result.status == 0, "\(result.stderr)")
        let runs = try cli.run(["runs", "--format", "csv"])
        #expect(runs.stdout.contains("distill [baseline]"), "\(runs.stdout)")
        let shown = try cli.run(["show", "2"])
        #expect(shown.stdout.contains("baseline: run 1") && shown.stdout.contains("reverse KL"), "\(shown.stdout)")
        let exported = try cli.run(["export-model", "2", "--out", cli.path("student")])
        #expect(exported.status == 0, "\(exported.stderr)")
        let config = try String(contentsOfFile: cli.path("student/config.json"), encoding: .utf8)
        #expect(config.contains("\"num_hidden_layers\" : 1"), "\(config)")
    }
}
