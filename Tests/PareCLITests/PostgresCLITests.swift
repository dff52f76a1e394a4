import Foundation
import PareTestSupport
import Testing
import PareStore
@testable import PareStorePostgres

/// `pare log`, `runs`, `leaderboard` and `pareto` on a PostgreSQL store named by --db or
/// PARE_DB, against the server named by PARE_TEST_POSTGRES (.ci/run starts one).
@Suite(.enabled(if: TestPostgres.server != nil, "PARE_TEST_POSTGRES names no server"), .serialized)
struct PostgresCLITests {
    static let server = TestPostgres.server

    /// A new empty database on the test server; its URL.
    static func freshDatabase() throws -> String {
        var location = try PostgresLocation(server!)
        let session = try PostgresSession(location)
        defer { session.close() }
        let name = "pare_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try session.table("CREATE DATABASE \(name)")
        location.database = name
        return location.description
    }

    /// The number of runs in a PostgreSQL store, read through pare itself.
    static func runCount(_ cli: CLI, _ url: String) throws -> Int {
        let listed = try cli.run(["runs", "--format", "csv", "--db", url], db: false)
        #expect(listed.status == 0, "\(listed.stderr)")
        return listed.stdout.split(separator: "\n").count - 1
    }

    @Test func eightProcessesTimesFiftyRunsAllArrive() throws {
        let cli = CLI()
        let url = try Self.freshDatabase()
        let failures = Locked<[String]>([])
        let ids = Locked<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { writer in
            for i in 0..<50 {
                do {
                    let r = try cli.run(["log", "--method", ["gptq", "awq", "rtn"][i % 3], "--base", "llama-1b",
                                         "--param", "bits=\([2, 3, 4, 8][i % 4])", "--metric", "perplexity=\(9 + Double(i) / 10)",
                                         "--metric", "size_bytes=\(1000 + writer * 100 + i)", "--tag", "writer=\(writer)",
                                         "--db", url], db: false)
                    if r.status == 0, let id = Int64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
                        ids.withLock { $0.append(id) }
                    } else {
                        failures.withLock { $0.append("writer \(writer) run \(i): \(r.status) \(r.stderr)") }
                    }
                } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(Set(ids.withLock { $0 }).count == 400)
        #expect(try Self.runCount(cli, url) == 400)
        let env = ProcessInfo.processInfo.environment.merging(["PARE_DB": url]) { $1 }
        let best = try cli.run(["leaderboard", "--metric", "perplexity", "--where", "tags.writer = '3' and params.bits < 4",
                                "--limit", "3", "--format", "csv"], db: false, environment: env)
        #expect(best.status == 0, "\(best.stderr)")
        // Writer 3's runs with bits 2 or 3 (i % 4 < 2) and the lowest perplexity: i = 0, 1, 4.
        #expect(best.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[4] } == ["9", "9.1", "9.4"])
        let frontier = try cli.run(["pareto", "--x", "size_bytes", "--y", "perplexity", "--format", "csv"], db: false, environment: env)
        #expect(frontier.status == 0 && frontier.stdout.contains("\n"), "\(frontier.stderr)")
    }

    @Test func badInputRecordsNothingAndOtherCommandsSayWhy() throws {
        let cli = CLI()
        let url = try Self.freshDatabase()
        #expect(try cli.run(["log", "--method", "gptq", "--base", "b", "--metric", "perplexity=9", "--db", url], db: false).status == 0)
        let bad = try cli.run(["log", "--method", "gptq", "--base", "b", "--metric", "perplexity=nine", "--db", url], db: false)
        #expect(bad.status == 64 && bad.stderr.hasPrefix("error: ") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        let lines = cli.path("runs.jsonl")
        try Data("""
            {"method": "awq", "base": "b", "metrics": {"perplexity": 9.5}}
            {"method": "awq", "base": "b", "metrics": {"perplexity": "high"}}
            {"method": "rtn", "base": "b", "metrics": {"perplexity": 11}}

            """.utf8).write(to: URL(fileURLWithPath: lines))
        let file = try cli.run(["log", "--from", lines, "--db", url], db: false)
        #expect(file.status == 1 && file.stderr.contains("runs.jsonl:2"), "\(file.stderr)")
        #expect(try Self.runCount(cli, url) == 3)
        let record = try cli.run(["record", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"),
                                  "--method", "none", "--db", url], db: false)
        #expect(record.status == 64 && record.stderr.contains("PostgreSQL store") && !record.stderr.contains("SELECT"), "\(record.stderr)")
        let gone = try cli.run(["runs", "--db", "postgresql://ann:hunter2@127.0.0.1:1/pare"], db: false)
        #expect(gone.status == 1 && gone.stderr == "error: Cannot connect to PostgreSQL at 127.0.0.1:1: connection refused.\n")
        #expect(try Self.runCount(cli, url) == 3)
    }
}

enum TestPostgres {
    static let server = ProcessInfo.processInfo.environment["PARE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
}
