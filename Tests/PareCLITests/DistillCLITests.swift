import Foundation
import PareNN
import Testing

/// `pare record --method distill` end to end: bad input leaves the database as it was; IDX data.
@Suite struct DistillCLITests {
    func distill(_ cli: CLI, _ settings: [String], train: String? = CLI.fixture("digits_train.csv")) -> [String] {
        var args = ["record", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"),
                    "--method", "distill", "--no-timing"]
        if let train { args += ["--train", train] }
        for s in settings { args += ["--set", s] }
        return args
    }

    func expectRejected(_ cli: CLI, _ arguments: [String], mentioning words: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try cli.fingerprint()
        let result = try cli.run(arguments)
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.hasPrefix("error: ") && !message.contains("\n"), "stderr: \(message)", sourceLocation: sourceLocation)
        for word in words {
            #expect(message.contains(word), "'\(word)' in: \(message)", sourceLocation: sourceLocation)
        }
        #expect(try cli.fingerprint() == before, "database changed by \(arguments)", sourceLocation: sourceLocation)
    }

    @Test func badInputLeavesTheDatabaseUnchanged() throws {
        let cli = CLI()
        _ = try cli.record("none", name: "baseline")
        let plain = cli.path("plain.txt")
        try "not a program".write(toFile: plain, atomically: true, encoding: .utf8)
        let student = "student=mlp:64,8,10"
        try expectRejected(cli, distill(cli, [student, "temperature=0"]), mentioning: ["temperature=0", "greater than 0"])
        try expectRejected(cli, distill(cli, [student, "alpha=1.2"]), mentioning: ["alpha=1.2", "[0, 1]"])
        try expectRejected(cli, distill(cli, ["student=mlp:60,8,10"]), mentioning: ["takes 60 inputs", "takes 64"])
        try expectRejected(cli, distill(cli, ["student=mlp:64,8,12"]), mentioning: ["12 outputs", "10 classes"])
        try expectRejected(cli, distill(cli, [student, "feature_layer=fc7"]), mentioning: ["no layer 'fc7'"])
        try expectRejected(cli, distill(cli, [student, "teacher_cmd=\(plain)"]), mentioning: ["plain.txt"])
        try expectRejected(cli, distill(cli, [student, "teacher_cmd=no-such-teacher-xyz --fast"]), mentioning: ["no-such-teacher-xyz"])
        try expectRejected(cli, distill(cli, [student, "teachers=\(cli.path("missing.safetensors"))"]), mentioning: ["missing.safetensors"])
        try expectRejected(cli, distill(cli, [student], train: nil), mentioning: ["--train"])
        try expectRejected(cli, distill(cli, [student], train: "idx:\(cli.path("a.idx"))"), mentioning: ["idx:IMAGES,LABELS"])
    }

    @Test func distillationAndItsBaselineAreListed() throws {
        let cli = CLI()
        let result = try cli.run(distill(cli, ["student=mlp:64,8,10", "epochs=2"]) + ["--name", "kd"])
        #expect(result.status == 0, "\(result.stderr)")
        let runs = try cli.run(["runs", "--format", "csv"])
        #expect(runs.stdout.contains("kd,distill,finished") && runs.stdout.contains("kd [baseline],distill,finished"))
        let board = try cli.run(["leaderboard", "--metric", "accuracy_gain_over_baseline", "--format", "csv"])
        #expect(board.stdout.split(separator: "\n").count == 2, "\(board.stdout)")
    }

    /// `pare train` and `pare record` read IDX pairs: idx:IMAGES,LABELS[,rows=N]; a bad magic number is one sentence.
    @Test func idxData() throws {
        let cli = CLI()
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for i in 0..<40 {
            let y = UInt8(i % 2)
            labels.append(y)
            pixels += (0..<4).map { j in UInt8((Int(y) * 200 + j * 7 + i) % 256) }
        }
        let images = cli.path("images.idx.gz"), labelFile = cli.path("labels.idx")
        try Data(IDX.encode(uint8: pixels, shape: [40, 2, 2])).write(to: URL(fileURLWithPath: images))
        try Data(IDX.encode(uint8: labels, shape: [40])).write(to: URL(fileURLWithPath: labelFile))
        let spec = "idx:\(images),\(labelFile)"
        let trained = try cli.run(["train", "--train", spec + ",rows=30", "--test", spec, "--arch", "mlp:4,8,2:relu",
                                   "--epochs", "3", "--out", cli.path("idx.safetensors")], db: false)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("test_accuracy"))
        let bad = cli.path("bad.idx")
        try Data([1, 2, 3, 4, 5, 6, 7, 8]).write(to: URL(fileURLWithPath: bad))
        let rejected = try cli.run(["train", "--train", "idx:\(bad),\(labelFile)", "--arch", "mlp:4,8,2:relu",
                                    "--out", cli.path("x.safetensors")], db: false)
        #expect(rejected.status != 0 && rejected.stderr.contains("bad magic number"), "\(rejected.stderr)")
    }
}
