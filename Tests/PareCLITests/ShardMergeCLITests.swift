import Foundation
import GRDB
import Testing

/// `pare sweep --shard` and `pare merge` through the built binary: shards on separate databases
/// merge into the whole sweep, once.
@Suite struct ShardMergeCLITests {
    static let sweep = ["sweep", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"),
                        "--no-timing", "--method", "quant-weight", "--format", "csv"]

    /// Runs pare with exactly these Slurm/Kubernetes variables (the test's own are dropped).
    func run(_ cli: CLI, _ arguments: [String], environment extra: [String: String]) throws -> CLI.Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") && $0.key != "JOB_COMPLETION_INDEX" }
        environment.merge(extra) { _, new in new }
        return try cli.run(arguments, db: false, environment: environment)
    }

    func names(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT name FROM runs ORDER BY name") }
    }

    @Test func shardsRecordTheGridOnceAndMergeIntoTheWholeSweep() throws {
        let cli = CLI()
        let grid = ["--grid", "bits=2,4,8", "--grid", "layers=fc1,fc2"]
        let expected = ["2", "4", "8"].flatMap { b in ["fc1", "fc2"].map { "bits=\(b) layers=\($0)" } }.sorted()
        var shards: [String] = []
        for i in 0..<4 {
            let path = cli.path("shard-\(i).sqlite")
            let result = try cli.run(Self.sweep + grid + ["--shard", "\(i)/4", "--db", path], db: false)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("shard \(i)/4: \(i < 2 ? 2 : 1) of 6 points"), "\(result.stderr)")
            shards.append(path)
        }
        // Resume per shard: shard 1 again records nothing.
        let again = try cli.run(Self.sweep + grid + ["--shard", "1/4", "--db", shards[1]], db: false)
        #expect(again.stderr.contains("shard 1/4: 2 of 6 points, skipped 2 already recorded, recording 0."), "\(again.stderr)")

        let merged = try cli.run(["merge"] + shards + ["--into", cli.db], db: false)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("merged 2 runs (0 already present, 0 still running, skipped) from \(shards[0])"))
        #expect(try names(cli.db) == expected)
        // A merged run exports the same model, byte for byte, as the shard's original.
        let original = try cli.run(["export-model", "1", "--out", cli.path("original.safetensors"), "--db", shards[3]], db: false)
        let copyID = try DatabaseQueue(path: cli.db).read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE name = 'bits=4 layers=fc2'")!
        }
        let copy = try cli.run(["export-model", "\(copyID)", "--out", cli.path("copy.safetensors")])
        #expect(original.status == 0 && copy.status == 0, "\(original.stderr) \(copy.stderr)")
        #expect(copyID != 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.path("copy.safetensors")))
                == Data(contentsOf: URL(fileURLWithPath: cli.path("original.safetensors"))))
        let once = try cli.fingerprint()
        let twice = try cli.run(["merge"] + shards)   // --db is the target too
        #expect(twice.status == 0 && twice.stdout.contains("merged 0 runs (1 already present, 0 still running, skipped) from \(shards[3])"))
        #expect(try cli.fingerprint() == once)
    }

    @Test func autoReadsSlurmAndKubernetesVariables() throws {
        let cli = CLI()
        let grid = ["--grid", "bits=4,8,2"]
        let slurm = try run(cli, Self.sweep + grid + ["--shard", "auto", "--db", cli.path("slurm.sqlite")],
                            environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"])
        #expect(slurm.status == 0 && slurm.stderr.contains("shard 2/3: 1 of 3 points"), "\(slurm.stderr)")
        #expect(try names(cli.path("slurm.sqlite")) == ["bits=2"])
        let k8s = try run(cli, Self.sweep + grid + ["--shard", "auto", "--shard-count", "3", "--db", cli.path("k8s.sqlite")],
                          environment: ["JOB_COMPLETION_INDEX": "0"])
        #expect(k8s.status == 0 && k8s.stderr.contains("shard 0/3: 1 of 3 points"), "\(k8s.stderr)")
        #expect(try names(cli.path("k8s.sqlite")) == ["bits=4"])
    }

    @Test func badShardsExit64AndRecordNothing() throws {
        let cli = try BadInputTests.prepared()
        let before = try cli.fingerprint()
        let grid = ["--grid", "bits=4,8"]
        for (shard, extra, env, words) in [
            ("3/2", [], [:], "0 ≤ I < 2"), ("1/0", [], [:], "at least 1"), ("x", [], [:], "I/N"),
            ("auto", [], [:], "SLURM_ARRAY_TASK_ID"), ("auto", [], ["JOB_COMPLETION_INDEX": "1"], "--shard-count"),
            ("1/2", ["--shard-count", "2"], [:], "auto"),
        ] as [(String, [String], [String: String], String)] {
            let result = try run(cli, Self.sweep + grid + ["--shard", shard, "--db", cli.db] + extra, environment: env)
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(result.status == 64, "\(shard): \(message)")
            #expect(message.hasPrefix("error: ") && !message.contains("\n") && message.contains(words), "\(shard): \(message)")
            #expect(try cli.fingerprint() == before)
        }
    }

    @Test func badMergesLeaveTheTargetUnchanged() throws {
        let cli = try BadInputTests.prepared()
        let bad = BadInputTests()
        let text = bad.file(cli, "notes.txt", Array("hello\n".utf8))
        let good = cli.path("good.sqlite")
        #expect(try cli.run(Self.sweep + ["--grid", "bits=4", "--db", good], db: false).status == 0)
        // One bad source among good ones: nothing is merged.
        try bad.expectRejected(cli, ["merge", good, cli.path("absent.sqlite")], mentioning: ["no database", "absent.sqlite"])
        try bad.expectRejected(cli, ["merge", good, text], mentioning: ["not SQLite"])
        try bad.expectRejected(cli, ["merge", cli.db], mentioning: ["into itself"])
        try bad.expectRejected(cli, ["merge"], mentioning: ["OTHER.sqlite"])
        #expect(try cli.run(["merge"]).status == 64)
        // A target that did not exist is not created by a refused merge.
        let fresh = cli.path("fresh.sqlite")
        #expect(try cli.run(["merge", text, "--into", fresh], db: false).status == 1)
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }
}
