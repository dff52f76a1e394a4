import Foundation
import PareTestSupport
import Testing

/// `pare export-model RUN --out F.gguf`: the file and its report, and every bad call refused in
/// one sentence (exit 1; 64 for an unknown --type) with the database unchanged and no file left.
extension BadInputTests {
    @Test func ggufExportWritesAFileAndRefusesBadCalls() throws {
        let cli = CLI()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        let test = "text:\(text),tokens=100,context=32"
        let r = try cli.run(["record", "--model", llama, "--test", test, "--method", "quant-weight", "--no-timing",
                             "--set", "bits=8", "--set", "granularity=group", "--set", "group_size=16"])
        #expect(r.status == 0, "\(r.stderr)")
        let run = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let mlp = try cli.record("none", name: "mlp")

        let out = cli.path("tiny.gguf")
        let ok = try cli.run(["export-model", run, "--out", out])
        #expect(ok.status == 0 && ok.stdout == "\(out)\n", "\(ok.stderr)")
        // int8 group 16 has no ggml block: re-encoded to F16, one line for the group of tensors.
        #expect(ok.stderr.contains("14 tensors int8 symmetric group16 → F16: re-encoded"), "\(ok.stderr)")
        let reloaded = try cli.run(["record", "--model", out, "--test", test, "--method", "none", "--no-timing"])
        #expect(reloaded.status == 0, "\(reloaded.stderr)")

        let before = try cli.fingerprint()
        let unknownType = try cli.run(["export-model", run, "--out", cli.path("x.gguf"), "--type", "q3_k"])
        #expect(unknownType.status == 64 && unknownType.stderr.contains("q3_k"), "\(unknownType.stderr)")
        #expect(try cli.fingerprint() == before)
        try expectRejected(cli, ["export-model", String(mlp), "--out", cli.path("x.gguf")], mentioning: ["MLP"])
        try expectRejected(cli, ["export-model", run, "--out", cli.db, "--type", "f16"], mentioning: ["database"])
        try FileManager.default.createDirectory(atPath: cli.path("dir.gguf"), withIntermediateDirectories: false)
        try expectRejected(cli, ["export-model", run, "--out", cli.path("dir.gguf")], mentioning: ["dir.gguf"])
        try expectRejected(cli, ["export-model", "999", "--out", cli.path("x.gguf")], mentioning: ["999"])
        #expect(!FileManager.default.fileExists(atPath: cli.path("x.gguf")))
        // No temporary file is left beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).allSatisfy { !$0.contains(".pare-") })
    }
}
