import Foundation
import PareTestSupport
import Testing

/// `pare sensitivity` on the tiny Llama: one run per group plus the reference, a table whose
/// Δ column is each group's metric minus the reference's, an SVG with one bar per group.
@Suite struct SensitivityCLITests {
    struct Row: Decodable {
        var group: String
        var layers: Int?
        var run: Int64?
        var status: String
        var perplexity: Double?
        var delta_vs_base: Double?
    }

    @Test func oneRunPerBlockATableAndABarChart() throws {
        let cli = CLI()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        let args = ["sensitivity", "--model", llama, "--test", "text:\(text),tokens=100,context=32", "--method", "quant-weight",
                    "--set", "bits=2", "--group", "block", "--svg", cli.path("s.svg"), "--format", "json"]
        let result = try cli.run(args)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try JSONDecoder().decode([Row].self, from: Data(result.stdout.utf8))
        #expect(rows.map(\.group) == ["base", "model.layers.0", "model.layers.1"])
        #expect(rows.dropFirst().allSatisfy { $0.layers == 7 && $0.status == "recorded" })
        let base = try #require(rows[0].perplexity)
        for row in rows.dropFirst() {
            let p = try #require(row.perplexity)
            #expect(abs(row.delta_vs_base! - (p - base)) < 1e-9)
            #expect(p != base)   // 2-bit weights in one block change the perplexity
        }
        // Each group is a run of the experiment with layers= set to its block's Linears.
        let show = try cli.run(["show", String(rows[1].run!)])
        let block0 = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
                      "mlp.up_proj", "mlp.down_proj"].map { "model.layers.0.\($0)" }.joined(separator: ",")
        #expect(show.stdout.contains("\"layers\":\"\(block0)\""), "\(show.stdout)")
        let runs = try cli.run(["runs", "--format", "csv"])
        #expect(runs.stdout.split(separator: "\n").count == 1 + 3, "\(runs.stdout)")
        let svg = try String(contentsOfFile: cli.path("s.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.components(separatedBy: "<rect x=").count - 1 == 2)
        #expect(svg.contains("model.layers.0") && svg.contains("Δ perplexity vs base"))

        // Again: every run is already recorded, so nothing new (resumes like sweep).
        var again = args
        again[again.firstIndex(of: cli.path("s.svg"))!] = cli.path("t.svg")
        let second = try cli.run(again)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try cli.run(["runs", "--format", "csv"]).stdout.split(separator: "\n").count == 1 + 3)

        // --group layer: one group per Linear of the selection.
        let csv = try cli.run(["sensitivity", "--model", llama, "--test", "text:\(text),tokens=100,context=32",
                               "--method", "prune-magnitude", "--set", "amount=0.5", "--set", "layers=*.mlp.*",
                               "--experiment", "by-layer", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.split(separator: "\n").count == 1 + 1 + 6, "\(csv.stdout)")
        #expect(csv.stdout.hasPrefix("group,layers,run,status,perplexity,delta_vs_base"))
    }

    @Test func badSensitivityInputsAreOneSentence() throws {
        let cli = CLI()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        func fails(_ extra: [String], _ fragment: String) throws {
            let r = try cli.run(["sensitivity", "--model", llama, "--test", "text:\(text),tokens=100,context=32"] + extra)
            #expect(r.status != 0 && r.stderr.contains(fragment), "\(extra): \(r.stderr)")
        }
        try fails(["--method", "quant-weight", "--group", "head"], "--group must be layer or block")
        try fails(["--method", "prune-magnitude+quant-weight"], "one method at a time")
        try fails(["--method", "none"], "compare the model with itself")
        try fails(["--method", "quant-weight", "--set", "layers=*.nothing"], "matches no layer")
        try fails(["--method", "quant-weight", "--set", "per_layer=*.mlp.*:bits=4"], "drop per_layer")
        // Nothing was recorded: the database was never created.
        #expect(!FileManager.default.fileExists(atPath: cli.db))
    }
}
