import Foundation
import Testing

/// The built `pare` binary end to end, as a user drives it.
@Suite struct CLITests {
    @Test func recordRankExportAndReloadARun() throws {
        let cli = CLI()
        let base = try cli.record("none", name: "baseline")
        let pruned = try cli.record("prune-magnitude", ["amount=0.5"], name: "half")

        let board = try cli.run(["leaderboard", "--metric", "accuracy", "--format", "csv"])
        #expect(board.status == 0)
        let lines = board.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("rank,run,name,method,accuracy") == true)
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("1,\(base),baseline,none,0.977777"))

        // export-model writes a runnable file that evaluates to the same accuracy.
        let file = cli.path("half.safetensors")
        #expect(try cli.run(["export-model", String(pruned), "--out", file]).status == 0)
        let again = try cli.run(["record", "--model", file, "--test", CLI.fixture("digits_test.csv"),
                                 "--method", "none", "--no-timing"])
        #expect(again.status == 0)
        let csv = try cli.run(["export", "--format", "csv"]).stdout
        let accuracyColumn = try #require(csv.split(separator: "\n").first?.split(separator: ",").firstIndex(of: "metrics.accuracy"))
        let accuracies = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[accuracyColumn] }
        #expect(accuracies.count == 3)
        #expect(accuracies[1] == accuracies[2])
    }

    @Test func everyVerbHasHelp() throws {
        let cli = CLI()
        for verb in ["record", "runs", "show", "leaderboard", "export", "export-model", "train", "demo", "methods"] {
            let result = try cli.run([verb, "--help"], db: false)
            #expect(result.status == 0, "\(verb) --help")
            #expect(result.stdout.contains("USAGE"), "\(verb) --help")
        }
    }

    @Test func tableCSVAndJSONAgree() throws {
        let cli = CLI()
        _ = try cli.record("none", name: "a, \"quoted\" name")
        let json = try cli.run(["runs", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.first?["name"] as? String == "a, \"quoted\" name")
        let csv = try cli.run(["runs", "--format", "csv"])
        #expect(csv.stdout.contains("\"a, \"\"quoted\"\" name\""))
        let table = try cli.run(["runs"])
        #expect(table.stdout.contains("a, \"quoted\" name"))
    }

    @Test func trainWritesAModelThatRecords() throws {
        let cli = CLI()
        let out = cli.path("small.safetensors")
        let trained = try cli.run(["train", "--train", CLI.fixture("digits_train.csv"), "--test", CLI.fixture("digits_test.csv"),
                                   "--arch", "mlp:64,32,10:relu", "--epochs", "5", "--out", out, "--format", "json"], db: false)
        #expect(trained.status == 0, "\(trained.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [[String: Any]]
        let accuracy = report?.first { $0["key"] as? String == "test_accuracy" }?["value"] as? String
        #expect((Double(accuracy ?? "") ?? 0) > 0.8)
        let recorded = try cli.run(["record", "--model", out, "--test", CLI.fixture("digits_test.csv"), "--method", "none", "--no-timing"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
    }
}
