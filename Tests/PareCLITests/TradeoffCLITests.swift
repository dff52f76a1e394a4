import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// pareto, best, summary, compare, plot and export --columns through the built binary.
@Suite struct TradeoffCLITests {
    @Test func everyTradeoffVerb() throws {
        let cli = CLI()
        let base = try cli.record("none", name: "baseline")
        let pruned = try cli.record("prune-magnitude", ["amount=0.7"], name: "pruned")
        let quant = try cli.record("quant-weight", ["bits=4"], name: "int4")

        let pareto = try cli.run(["pareto", "--x", "size_bytes", "--y", "accuracy", "--format", "csv"])
        #expect(pareto.status == 0, "\(pareto.stderr)")
        let lines = pareto.stdout.split(separator: "\n")
        #expect(lines.first == "run,name,method,size_bytes,accuracy")
        #expect(lines.count >= 2 && lines.count <= 4)
        // int4 keeps the base model's accuracy at a seventh of its size: it dominates the base.
        #expect(lines.contains { $0.hasPrefix("\(quant),int4,quant-weight,") })

        let summary = try cli.run(["summary", "--format", "json"])
        #expect(summary.status == 0, "\(summary.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["method"] as? String }) == ["none", "prune-magnitude", "quant-weight"])
        let none = try #require(rows.first { $0["method"] as? String == "none" })
        #expect(none["accuracy_delta"] as? Double == 0)
        #expect(none["base_run"] as? Int == Int(base))
        let int4 = try #require(rows.first { $0["method"] as? String == "quant-weight" })
        #expect((int4["compression_ratio"] as? Double ?? 0) > 5)

        let best = try cli.run(["best", "--metric", "accuracy", "--budget", "compression_ratio >= 2 and accuracy - base.accuracy > -0.5",
                                "--format", "csv"])
        #expect(best.status == 0, "\(best.stderr)")
        let bestRun = best.stdout.split(separator: "\n").dropFirst().first?.split(separator: ",").first
        #expect(bestRun == Substring(String(pruned)) || bestRun == Substring(String(quant)))

        let compare = try cli.run(["compare", String(base), String(pruned), String(quant)])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("params that differ"))
        #expect(compare.stdout.contains("amount"))
        #expect(compare.stdout.contains("metrics (Δ against run \(base))"))
        let compareCSV = try cli.run(["compare", String(base), String(pruned), "--all", "--format", "csv"])
        #expect(compareCSV.stdout.hasPrefix("section,key,run \(base),run \(pruned),Δ \(pruned),Δ% \(pruned)\n"))

        let svg = cli.path("pareto.svg")
        let plot = try cli.run(["plot", "pareto", "--x", "size_bytes", "--y", "accuracy", "--log-x", "--out", svg])
        #expect(plot.status == 0, "\(plot.stderr)")
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: svg)))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")

        let export = try cli.run(["export", "--columns", "run_id,method,metrics.accuracy,params.amount", "--where", "params.amount > 0.5"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("run_id,method,metrics.accuracy,params.amount\n\(pruned),prune-magnitude,"))
        #expect(export.stdout.split(separator: "\n").count == 2)

        for verb in [["pareto"], ["best"], ["summary"], ["compare"], ["plot", "pareto"]] {
            let help = try cli.run(verb + ["--help"], db: false)
            #expect(help.status == 0 && help.stdout.contains("USAGE"), "\(verb) --help")
        }
    }
}

extension BadInputTests {
    @Test func badTradeoffQueries() throws {
        let cli = try Self.prepared()
        try expectRejected(cli, ["pareto", "--x", "acc", "--y", "accuracy"], mentioning: ["'acc'", "size_bytes"])
        try expectRejected(cli, ["pareto", "--x", "size_bytes", "--y", "accuracy", "--where", "metrics.accuracy between 1"],
                           mentioning: ["column 27"])
        try expectRejected(cli, ["best", "--metric", "accuracy", "--budget", "size_byte <= 5"],
                           mentioning: ["budget", "size_byte'", "column 1", "size_bytes"])
        try expectRejected(cli, ["best", "--metric", "accuracy", "--budget", "size_bytes <= 5 and"], mentioning: ["column 20"])
        try expectRejected(cli, ["best", "--metric", "accuracy", "--budget", "size_bytes < 1"], mentioning: ["no finished run"])
        try expectRejected(cli, ["best", "--metric", "accurcy"], mentioning: ["accurcy", "accuracy"])
        try expectRejected(cli, ["summary", "--metric", "nope"], mentioning: ["nope", "latency_ms_p50"])
        try expectRejected(cli, ["compare", "1"], mentioning: ["at least two"])
        try expectRejected(cli, ["compare", "1", "999"], mentioning: ["999"])
        try expectRejected(cli, ["compare", "1", "1"], mentioning: ["twice"])
        let missing = cli.path("no-such-folder/p.svg")
        try expectRejected(cli, ["plot", "pareto", "--x", "size_bytes", "--y", "accuracy", "--out", missing], mentioning: ["does not exist"])
        #expect(!FileManager.default.fileExists(atPath: missing))
        try expectRejected(cli, ["plot", "pareto", "--x", "size_bytes", "--y", "nope", "--out", cli.path("p.svg")], mentioning: ["nope"])
        #expect(!FileManager.default.fileExists(atPath: cli.path("p.svg")))
        try expectRejected(cli, ["export", "--columns", "run_id,bogus"], mentioning: ["bogus", "metrics.accuracy"])
        try expectRejected(cli, ["runs", "--where", "metrics.accuracy - base.accuracy > 0; DROP TABLE runs"], mentioning: ["column"])
        try expectRejected(cli, ["runs", "--where", "run.name like 'x' -- comment"], mentioning: ["column 19"])
    }
}
