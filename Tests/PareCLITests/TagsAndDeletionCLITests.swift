import Foundation
import Testing

/// `pare tag`, `note`, `rm` and `gc` through the built binary.
@Suite struct TagsAndDeletionCLITests {
    func expectRejected(_ cli: CLI, _ arguments: [String], status: Int32, mentioning words: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try cli.fingerprint()
        let result = try cli.run(arguments)
        #expect(result.status == status, "exit status for \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.hasPrefix("error: ") && !message.contains("\n"), "one line, got: \(message)", sourceLocation: sourceLocation)
        for word in words {
            #expect(message.contains(word), "'\(word)' in: \(message)", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(try cli.fingerprint() == before, "database changed by \(arguments)", sourceLocation: sourceLocation)
    }

    @Test func unknownRunsAndBadTagsChangeNothing() throws {
        let cli = CLI()
        let id = try cli.record("none", name: "baseline")
        try expectRejected(cli, ["tag", "99", "team=edge"], status: 1, mentioning: ["no run with id 99", "runs \(id)…\(id)"])
        try expectRejected(cli, ["tag", "\(id)", "99", "team=edge"], status: 1, mentioning: ["no run with id 99"])
        try expectRejected(cli, ["rm", "99"], status: 1, mentioning: ["no run with id 99"])
        try expectRejected(cli, ["rm", "\(id)", "99", "--dry-run"], status: 1, mentioning: ["no run with id 99"])
        try expectRejected(cli, ["note", "99", "hello"], status: 1, mentioning: ["no run with id 99"])
        try expectRejected(cli, ["tag", "\(id)", "team="], status: 64, mentioning: ["--remove team"])
        try expectRejected(cli, ["tag", "\(id)", "team=a", "team=b"], status: 64, mentioning: ["given twice"])
        try expectRejected(cli, ["tag", "\(id)"], status: 64, mentioning: ["no tag to set or remove"])
        try expectRejected(cli, ["tag", "\(id)", "my team=x"], status: 1, mentioning: ["whitespace"])
        try expectRejected(cli, ["rm"], status: 64, mentioning: ["--where"])
        try expectRejected(cli, ["rm", "--where", "tags.team = "], status: 1, mentioning: ["filter:"])
        let missing = CLI()
        try expectRejected(missing, ["tag", "1", "a=b"], status: 1, mentioning: ["no database at"])
        #expect(try missing.fingerprint() == "<no database>")
    }

    @Test func tagShowRmAndGc() throws {
        let cli = CLI()
        let base = try cli.record("none", name: "baseline")
        let quant = try cli.record("quant-weight", ["bits=4"], name: "q4")

        let tagged = try cli.run(["tag", "\(base)", "\(quant)", "team=edge", "stage=draft"])
        #expect(tagged.status == 0 && tagged.stdout == "runs \(base), \(quant): set stage=draft, team=edge\n")
        let byFilter = try cli.run(["tag", "--where", "params.bits = 4", "stage=final"])
        #expect(byFilter.stdout == "run \(quant): set stage=final\n")
        let selected = try cli.run(["runs", "--where", "tags.stage = 'final'", "--format", "csv"])
        #expect(selected.stdout.split(separator: "\n").count == 2 && selected.stdout.contains("q4"))
        let noted = try cli.run(["note", "\(quant)", "kept for the edge report"])
        #expect(noted.stdout == "run \(quant) has 1 note\n")
        let shown = try cli.run(["show", "\(quant)"])
        #expect(shown.stdout.contains("\ntags\n") && shown.stdout.contains("final") && shown.stdout.contains("kept for the edge report"))

        let dry = try cli.run(["rm", "\(quant)", "--dry-run"])
        #expect(dry.stdout == "would remove run \(quant); nothing removed (--dry-run)\n")
        let removed = try cli.run(["rm", "--where", "tags.stage = 'final'"])
        #expect(removed.status == 0 && removed.stdout == "removed run \(quant); its blobs stay until pare gc frees them\n")
        let gc = try cli.run(["gc"])
        #expect(gc.status == 0 && gc.stdout.hasPrefix("freed "), "\(gc.stdout) \(gc.stderr)")
        #expect(try cli.run(["gc", "--dry-run"]).stdout == "nothing to free: every blob, model and dataset is used by a run\n")
        #expect(try cli.run(["show", "\(base)"]).status == 0)
    }
}
