import Foundation
import GRDB
import Testing

/// `pare sweep` and pipelines through the built binary.
@Suite struct SweepCLITests {
    static let inputs = ["--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"), "--no-timing"]

    func sweep(_ cli: CLI, _ extra: [String]) throws -> CLI.Result {
        try cli.run(["sweep"] + Self.inputs + extra)
    }

    @Test func badGridsLeaveTheDatabaseUnchanged() throws {
        let cli = try BadInputTests.prepared()
        let bad = BadInputTests()
        let m = ["--method", "prune-magnitude"]
        for (extra, words) in [
            (m + ["--grid", "amount"], ["key=v1,v2"]), (m + ["--grid", "=1"], ["no key"]), (m + ["--grid", "amount="], ["no values"]),
            (m + ["--grid", "amount=0.5,,0.7"], ["empty value"]), (m, ["--grid"]),
            (m + ["--grid", "amount=0.5,1.5"], ["amount=1.5"]), (m + ["--grid", "amout=0.5"], ["amout"]),
            (m + ["--grid", "layers=fc1,fc9"], ["fc9"]), (m + ["--grid", "amount=0.5", "--set", "amount=0.3"], ["--set"]),
            (["--method", "prune-magic", "--grid", "amount=0.5"], ["prune-magic"]),
            (["--method", "prune-magnitude+quant-weight", "--grid", "quant.bits=4,9"], ["bits"]),
        ] as [([String], [String])] {
            try bad.expectRejected(cli, ["sweep"] + Self.inputs + extra, mentioning: words)
        }
        // Pipelines and recipes that cannot run.
        try bad.expectRejected(cli, ["record"] + Self.inputs + ["--method", "prune-magnitude+quant-wait"], mentioning: ["quant-wait"])
        try bad.expectRejected(cli, ["record"] + Self.inputs + ["--method", "prune-magnitude+quant-weight", "--set", "amount=0.5"], mentioning: ["prefix"])
        try bad.expectRejected(cli, ["record"] + Self.inputs + ["--method", "quant-weight+prune-sparsegpt"], mentioning: ["pruning first"])
        let recipe = bad.file(cli, "recipe.json", Array(#"{"stages":[{"method":"prune-magnitude"},{"method":"prune-magic"}]}"#.utf8))
        try bad.expectRejected(cli, ["record"] + Self.inputs + ["--recipe", recipe], mentioning: ["prune-magic", "stage 2"])
    }

    @Test func resumeRetriesOnlyWhatIsNotFinished() throws {
        let cli = CLI()
        let args = ["--method", "quant-weight", "--grid", "bits=4,8", "--format", "csv"]
        let first = try sweep(cli, args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("skipped 0 already recorded"))
        #expect(first.stdout.split(separator: "\n").count == 3)

        let second = try sweep(cli, args)
        #expect(second.stderr.contains("skipped 2 already recorded, recording 0"))
        #expect(second.stdout.contains("1,skipped,4,"))

        // An interrupted run (reaped as failed): the rerun records only that point again, and
        // the interrupted attempt's row gives way to the new one, so the point has one row.
        let queue = try DatabaseQueue(path: cli.db)
        try queue.write {
            try $0.execute(sql: "UPDATE runs SET status = 'failed', error = 'interrupted: the recording process died' WHERE id = 2")
        }
        let third = try sweep(cli, args)
        #expect(third.stderr.contains("skipped 1 already recorded, recording 1"))
        #expect(third.stdout.contains("3,recorded,8,"))
        #expect(try queue.read { try Int.fetchAll($0, sql: "SELECT id FROM runs ORDER BY id") } == [1, 3])

        // A run that failed for a reason of its own is retried but kept, with its error.
        try queue.write { try $0.execute(sql: "UPDATE runs SET status = 'failed', error = 'bad luck' WHERE id = 3") }
        let fourth = try sweep(cli, args)
        #expect(fourth.stdout.contains("4,recorded,8,"))
        #expect(try queue.read { try Int.fetchAll($0, sql: "SELECT id FROM runs ORDER BY id") } == [1, 3, 4])
    }

    @Test func pipelineRecordPrintsTheFinalRunAndStages() throws {
        let cli = CLI()
        let result = try cli.run(["record"] + Self.inputs + ["--method", "prune-magnitude+quant-weight",
                                                             "--set", "prune.amount=0.5", "--set", "quant.bits=4", "--verbose"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "2\n")
        #expect(result.stderr.contains("stage 1 prune-magnitude: run 1"))
        let queue = try DatabaseQueue(path: cli.db)
        #expect(try queue.read { try Int64.fetchOne($0, sql: "SELECT parent_run_id FROM runs WHERE id = 2") } == 1)
    }
}
