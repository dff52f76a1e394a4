import Foundation
import PareTestSupport
import Testing

/// A per-layer recipe from the command line: recorded with its groups in the run's config and
/// shown by `pare show`; a bad recipe is one sentence and records nothing.
@Suite struct PerLayerCLITests {
    @Test func theRecipeIsInTheConfigThatShowPrints() throws {
        let cli = CLI()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        let test = "text:\(text),tokens=100,context=32"
        let r = try cli.run(["record", "--model", llama, "--test", test, "--method", "quant-weight", "--no-timing",
                             "--set", "per_layer=*.self_attn.*:bits=8;*.mlp.*:bits=4,granularity=tensor"])
        #expect(r.status == 0, "\(r.stderr)")
        let show = try cli.run(["show", r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        for fragment in ["per_layer.1.layers", "*.self_attn.*", "per_layer.2.bits", "per_layer.2.granularity", "tensor"] {
            #expect(show.stdout.contains(fragment), "\(fragment) in \(show.stdout)")
        }
        let bad = try cli.run(["record", "--model", llama, "--test", test, "--method", "quant-weight", "--no-timing",
                               "--set", "per_layer=*.mlp.*:bits=4;*.mlp.down_proj:bits=8"])
        #expect(bad.status != 0 && bad.stderr.contains("matches both"), "\(bad.stderr)")
        #expect(try cli.run(["runs", "--format", "csv"]).stdout.split(separator: "\n").count == 2)
    }
}
