import Foundation
import GRDB
import Testing

/// `pare log` end to end: a run from another tool recorded in one call or from JSON lines,
/// and every bad input refused in one sentence with the database unchanged.
@Suite struct LogCLITests {
    func expectRefused(_ cli: CLI, _ arguments: [String], status: Int32, mentioning words: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try cli.fingerprint()
        let result = try cli.run(["log"] + arguments)
        #expect(result.status == status, "exit status for \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.hasPrefix("error: "), "stderr: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "one line, got: \(message)", sourceLocation: sourceLocation)
        for word in words {
            #expect(message.localizedCaseInsensitiveContains(word), "'\(word)' in: \(message)", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(try cli.fingerprint() == before, "database changed by \(arguments)", sourceLocation: sourceLocation)
    }

    @Test func badInputIsOneSentenceAndRecordsNothing() throws {
        let cli = CLI()
        _ = try cli.record("none")
        let ok = ["--method", "gptq", "--base", "meta-llama/Llama-3.2-1B"]
        try expectRefused(cli, ok + ["--metric", "perplexity=low"], status: 64, mentioning: ["perplexity", "not a number"])
        try expectRefused(cli, ok + ["--param", "group size=128"], status: 64, mentioning: ["group size", "space"])
        try expectRefused(cli, ok + ["--param", "bits=4", "--param", "bits=8"], status: 64, mentioning: ["bits", "twice"])
        try expectRefused(cli, ok + ["--tag", "=x"], status: 64, mentioning: ["empty"])
        try expectRefused(cli, ok + ["--metric", "ppl"], status: 64, mentioning: ["NAME=VALUE"])
        try expectRefused(cli, ["--base", "m"], status: 64, mentioning: ["--method"])
        try expectRefused(cli, ["--method", "gptq"], status: 64, mentioning: ["--base"])
        try expectRefused(cli, ok + ["--evaluate"], status: 64, mentioning: ["--evaluate", "--base"])
        try expectRefused(cli, ["--method", "x", "--base", CLI.fixture("teacher.safetensors"), "--model", cli.path("missing.safetensors")],
                          status: 1, mentioning: ["missing.safetensors"])
        try expectRefused(cli, ["--from", cli.path("none.jsonl")], status: 64, mentioning: ["none.jsonl"])
        try expectRefused(cli, ["--from", cli.path("x.jsonl"), "--method", "gptq"], status: 64, mentioning: ["--method"])
        try expectRefused(cli, ["--from", cli.path("x.jsonl"), "--uid", "u1"], status: 64, mentioning: ["--uid"])
        try expectRefused(cli, ok + ["--started-at", "yesterday"], status: 64, mentioning: ["started_at", "ISO 8601"])
        try expectRefused(cli, ok + ["--uid", "two words"], status: 64, mentioning: ["uid"])
    }

    /// The other tool's times and identity: recorded as given (normalised to UTC), and the same
    /// uid logged again records nothing — a retried script does not duplicate its run.
    @Test func oneCallKeepsTheToolsTimesAndUid() throws {
        let cli = CLI()
        let args = ["log", "--method", "gptq", "--base", "m/base", "--metric", "perplexity=11.8", "--uid", "mlflow-7f3a",
                    "--started-at", "2025-01-31T14:00:00+02:00", "--ended-at", "2025-01-31T12:04:10.5Z"]
        let first = try cli.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(Int64(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let before = try cli.fingerprint()
        let again = try cli.run(args)
        #expect(again.status == 0 && again.stdout.isEmpty)
        #expect(again.stderr == "a run with uid mlflow-7f3a is recorded already; nothing recorded again\n")
        #expect(try cli.fingerprint() == before)
        try DatabaseQueue(path: cli.db).read { db in
            let run = try #require(try Row.fetchOne(db, sql: "SELECT started_at, ended_at, uid FROM runs WHERE id = ?", arguments: [id]))
            #expect(run["started_at"] as String == "2025-01-31T12:00:00.000Z")
            #expect(run["ended_at"] as String == "2025-01-31T12:04:10.500Z")
            #expect(run["uid"] as String == "log:mlflow-7f3a")
        }
    }

    @Test func oneCallPrintsTheRunIdAndShowsAsReported() throws {
        let cli = CLI()
        let result = try cli.run(["log", "--method", "gptq", "--base", "meta-llama/Llama-3.2-1B", "--param", "bits=4",
                                  "--param", "damp=0.01", "--metric", "perplexity=11.82", "--tag", "tool=llm-compressor",
                                  "--name", "gptq-w4", "--experiment", "external"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(Int64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let queue = try DatabaseQueue(path: cli.db)
        try queue.read { db in
            let run = try #require(try Row.fetchOne(db, sql: "SELECT source, method, name FROM runs WHERE id = ?", arguments: [id]))
            #expect(run["source"] as String == "log" && run["method"] as String == "gptq" && run["name"] as String == "gptq-w4")
            #expect(try DatabaseValue.fetchOne(db, sql: "SELECT value FROM params WHERE run_id = ? AND key = 'bits'", arguments: [id])?.storage == .int64(4))
            let metric = try #require(try Row.fetchOne(db, sql: "SELECT value, reported FROM metrics WHERE run_id = ? AND key = 'perplexity'", arguments: [id]))
            #expect(metric["value"] as Double == 11.82 && metric["reported"] as Int == 1)
            #expect(try String.fetchOne(db, sql: "SELECT value FROM tags WHERE run_id = ? AND key = 'tool'", arguments: [id]) == "llm-compressor")
        }
    }

    @Test func fromRecordsGoodLinesNamesTheBadOneAndExitsOne() throws {
        let cli = CLI()
        var lines = (0..<5).map { #"{"method": "rtn", "base": "m/base", "params": {"bits": \#($0 + 2)}, "metrics": {"ppl": \#(10 + $0)}, "uid": "u\#($0)"}"# }
        lines.insert(#"{"method": "rtn", "base": "m/base", "params": {"bad key": 1}}"#, at: 3)
        let file = cli.path("runs.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))

        let first = try cli.run(["log", "--from", file])
        #expect(first.status == 1)
        #expect(first.stdout.split(separator: "\n").count == 5)
        let messages = first.stderr.split(separator: "\n")
        #expect(messages.count == 2)
        #expect(messages.first?.contains("runs.jsonl:4:") == true && messages.first?.contains("bad key") == true)
        #expect(messages.last?.hasPrefix("recorded 5 runs, 1 line refused: 4 (") == true)

        // Again: the five are known by uid, nothing new is written.
        let before = try cli.fingerprint()
        let again = try cli.run(["log", "--from", file])
        #expect(again.status == 1 && again.stdout.isEmpty)
        #expect(again.stderr.contains("recorded 0 runs, 5 lines already recorded"))
        #expect(try cli.fingerprint() == before)
    }
}
