import Foundation
import PareTestSupport
import PareTestPostgres
import Testing
import PareStore
@testable import PareStorePostgres

/// Pare's commands on a PostgreSQL store named by --db or PARE_DB, against the server named by
/// PARE_TEST_POSTGRES (.ci/run starts one).
@Suite(.enabled(if: PostgresTestServer.url != nil, "PARE_TEST_POSTGRES names no server"), .serialized)
struct PostgresCLITests {
    /// The number of runs in a PostgreSQL store, read through pare itself.
    static func runCount(_ cli: CLI, _ url: String) throws -> Int {
        let listed = try cli.run(["runs", "--format", "csv", "--db", url], db: false)
        #expect(listed.status == 0, "\(listed.stderr)")
        return listed.stdout.split(separator: "\n").count - 1
    }

    @Test func eightProcessesTimesFiftyRunsAllArrive() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
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
        let url = try PostgresTestServer.freshDatabase()
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
        let merge = try cli.run(["merge", cli.path("absent.sqlite"), "--into", url], db: false)
        #expect(merge.status == 1 && merge.stderr == "error: no database at \(cli.path("absent.sqlite")) to merge; check the path\n", "\(merge.stderr)")
        let demo = try cli.run(["demo", "--db", url], db: false)
        #expect(demo.status == 64 && demo.stderr.contains("PostgreSQL") && !demo.stderr.contains("SELECT"), "\(demo.stderr)")
        let tag = try cli.run(["tag", "1", "9", "team=edge", "--db", url], db: false)
        #expect(tag.status == 1 && tag.stderr.hasPrefix("error: no run with id 9 (the database has runs 1…3)")
                && tag.stderr.split(separator: "\n").count == 1, "\(tag.stderr)")
        let removed = try cli.run(["rm", "7", "--db", url], db: false)
        #expect(removed.status == 1 && removed.stderr.contains("no run with id 7"), "\(removed.stderr)")
        let filter = try cli.run(["tag", "--where", "params.bits >", "team=edge", "--db", url], db: false)
        #expect(filter.status != 0 && filter.stderr.split(separator: "\n").count <= 3 && !filter.stderr.contains("SELECT"), "\(filter.stderr)")
        let shown = try cli.run(["show", "1", "--format", "csv", "--db", url], db: false)
        #expect(shown.status == 0 && !shown.stdout.contains("team"), "\(shown.stderr)")
        let record = try cli.run(["record", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"),
                                  "--method", "prune-magnitude", "--set", "amount=1.5", "--db", url], db: false)
        #expect(record.status == 1 && record.stderr.contains("amount=1.5 is out of range") && !record.stderr.contains("SELECT"), "\(record.stderr)")
        let gone = try cli.run(["runs", "--db", "postgresql://ann:hunter2@127.0.0.1:1/pare"], db: false)
        #expect(gone.status == 1 && gone.stderr == "error: Cannot connect to PostgreSQL at 127.0.0.1:1: connection refused.\n")
        #expect(try Self.runCount(cli, url) == 3)
    }

    /// `pare sweep --shard I/N` from several processes into one PostgreSQL store: together the
    /// shards record the grid once, each shard resumes on its own, and the runs are the same
    /// as a sweep into a SQLite file records (params, final metrics).
    @Test func shardsOfASweepShareOneStore() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let sweep = ["sweep", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"),
                     "--no-timing", "--method", "quant-weight", "--format", "csv", "--grid", "bits=2,4,8", "--grid", "layers=fc1,fc2"]
        let results = Locked<[Int: CLI.Result]>([:])
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            let r = try? cli.run(sweep + ["--shard", "\(i)/3", "--db", url], db: false)
            results.withLock { $0[i] = r }
        }
        for i in 0..<3 {
            let r = try #require(results.withLock { $0[i] })
            #expect(r.status == 0 && r.stderr.contains("shard \(i)/3: 2 of 6 points, skipped 0 already recorded, recording 2."), "\(r.stderr)")
        }
        let again = try cli.run(sweep + ["--db", url], db: false)
        #expect(again.status == 0 && again.stderr.contains("sweep: 6 points, skipped 6 already recorded, recording 0."), "\(again.stderr)")
        // The same sweep into SQLite: each point's run has the same accuracy and size.
        #expect(try cli.run(sweep).status == 0)
        func points(_ db: String) throws -> [String] {
            let r = try cli.run(["runs", "--where", "run.status = 'finished'", "--format", "csv", "--db", db], db: false)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").dropFirst().map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                return cells.enumerated().filter { ![0, 4].contains($0.offset) }.map(\.element).joined(separator: ",")   // no id, no start time
            }.sorted()
        }
        let postgres = try points(url)
        #expect(postgres.count == 6)
        #expect(postgres == (try points(cli.db)))
        let best = try cli.run(["leaderboard", "--metric", "accuracy", "--limit", "1", "--format", "csv", "--db", url], db: false)
        #expect(best.status == 0 && best.stdout.split(separator: "\n").count == 2, "\(best.stderr)")
    }

    /// `arguments` run on the CLI's SQLite file and on the PostgreSQL store `url`: the same
    /// status, stdout and stderr, byte for byte (the SQLite run succeeding); its stdout.
    static func both(_ cli: CLI, _ url: String, _ arguments: [String]) throws -> String {
        let sqlite = try cli.run(arguments)
        let postgres = try cli.run(arguments + ["--db", url], db: false)
        #expect(sqlite.status == 0, "\(arguments): \(sqlite.stderr)")
        #expect(postgres.status == sqlite.status && postgres.stdout == sqlite.stdout && postgres.stderr == sqlite.stderr,
                "\(arguments)\nSQLite:\n\(sqlite.stdout)\(sqlite.stderr)\nPostgreSQL:\n\(postgres.stdout)\(postgres.stderr)")
        return sqlite.stdout
    }

    /// The same runs logged (and imported from MLflow) into a SQLite file and a PostgreSQL
    /// store: show, compare, export, best, summary, plot, tag, note, rm and gc print the same, byte for byte, and
    /// leave the same runs behind.
    @Test func everyCommandPrintsTheSameOnBothStores() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let lines = cli.path("runs.jsonl")
        try Data("""
            {"method": "gptq", "base": "llama-1b", "uid": "u1", "started_at": "2026-12-01T10:00:00.000Z", "ended_at": "2026-12-01T10:05:00.000Z", "params": {"bits": 4, "group": 128, "damp": 0.01, "act_order": true, "scheme": "w4a16"}, "metrics": {"perplexity": 9.25, "size_bytes": 700000000, "latency_ms_p50": 12.5}, "tags": {"team": "edge"}, "name": "gptq-4"}
            {"method": "awq", "base": "llama-1b", "uid": "u2", "started_at": "2026-12-01T11:00:00.000Z", "ended_at": "2026-12-01T11:02:00.000Z", "params": {"bits": 4, "group": 64, "scheme": "w4a16"}, "metrics": {"perplexity": 9.5, "size_bytes": 690000000, "kv_hit": 0.3}}
            {"method": "rtn", "base": "llama-1b", "uid": "u3", "started_at": "2026-12-01T12:00:00.000Z", "ended_at": "2026-12-01T12:01:00.000Z", "params": {"bits": 8, "baseline_run": 2}, "metrics": {"perplexity": 8.875, "size_bytes": 1300000000}}

            """.utf8).write(to: URL(fileURLWithPath: lines))
        func both(_ arguments: [String]) throws -> String { try Self.both(cli, url, arguments) }
        _ = try both(["log", "--from", lines])
        _ = try both(["tag", "--where", "params.bits = 4", "reviewed=yes"])
        _ = try both(["tag", "1", "team=cloud", "--remove", "reviewed"])
        #expect(try both(["note", "2", "calibrated on the wrong split"]) == "run 2 has 1 note\n")
        _ = try both(["note", "2", "re-run with \"more\" data"])
        let shown = try both(["show", "1"])
        #expect(shown.contains("act_order") && shown.contains("cloud") && shown.contains("w4a16"))
        #expect(try both(["show", "2"]).contains("re-run with \"more\" data"))
        _ = try both(["show", "3", "--format", "json"])
        _ = try both(["compare", "1", "2", "3", "--all"])
        _ = try both(["compare", "2", "1", "--format", "csv"])
        let exported = try both(["export", "--format", "csv"])
        #expect(exported.split(separator: "\n").count == 4 && exported.contains("params.act_order"))
        _ = try both(["export", "--format", "json", "--where", "tags.team = 'cloud' or metrics.kv_hit > 0"])
        _ = try both(["export", "--columns", "run_id,params.bits,metrics.perplexity,metrics.accuracy"])
        #expect(try both(["best", "--metric", "perplexity", "--budget", "size_bytes <= 700000000", "--format", "csv"]).contains("gptq-4"))
        _ = try both(["summary", "--metric", "perplexity"])
        _ = try both(["summary", "--metric", "size_bytes", "--where", "params.bits = 4", "--format", "json"])
        var svgs: [Data] = []
        for (db, file) in [(cli.db, "sqlite.svg"), (url, "postgres.svg")] {
            let plot = try cli.run(["plot", "pareto", "--x", "size_bytes", "--y", "perplexity", "--out", cli.path(file), "--db", db], db: false)
            #expect(plot.status == 0 && plot.stdout.hasSuffix("3 runs, 3 on the frontier\n"), "\(plot.stdout)\(plot.stderr)")
            svgs.append(try Data(contentsOf: URL(fileURLWithPath: cli.path(file))))
        }
        #expect(svgs[0] == svgs[1])
        // MLflow's runs, params, metric histories (curves) and tags, imported into both (before rm:
        // SQLite gives a removed highest id out again, PostgreSQL's sequence does not).
        let mlflow = ["import", "mlflow", "--tracking-db", CLI.fixture("mlflow/mlflow.db")]
        #expect(try both(mlflow).hasPrefix("imported "))
        #expect(try both(mlflow).hasPrefix("imported 0 runs"))
        _ = try both(["export", "--format", "csv", "--where", "run.source = 'mlflow'"])
        _ = try both(["show", "4"])
        #expect(try both(["rm", "2", "--dry-run"]).contains("3: its baseline_run 2 is removed"))
        _ = try both(["rm", "--where", "params.bits = 8"])
        _ = try both(["runs", "--format", "csv"])
        _ = try both(["export", "--format", "csv"])
        #expect(try both(["gc", "--dry-run"]) == "nothing to free: every blob, model and dataset is used by a run\n")
    }

    /// A logged run's model is stored in PostgreSQL as bytea chunks; once the run is removed,
    /// gc frees its blobs (a dry run first changes nothing), and a second gc finds nothing.
    @Test func gcFreesARemovedRunsModel() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let env = ProcessInfo.processInfo.environment.merging(["PARE_DB": url]) { $1 }
        let logged = try cli.run(["log", "--method", "int8", "--base", "mlp", "--model", CLI.fixture("teacher.safetensors"),
                                  "--metric", "accuracy=0.9"], db: false, environment: env)
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(try cli.run(["log", "--method", "rtn", "--base", "mlp", "--metric", "accuracy=0.8"], db: false, environment: env).status == 0)
        #expect(try cli.run(["gc"], db: false, environment: env).stdout == "nothing to free: every blob, model and dataset is used by a run\n")
        #expect(try cli.run(["rm", "1"], db: false, environment: env).status == 0)
        let dry = try cli.run(["gc", "--dry-run"], db: false, environment: env)
        #expect(dry.status == 0 && dry.stdout.hasPrefix("would free ") && dry.stdout.contains("nothing changed (--dry-run)"), "\(dry.stdout)\(dry.stderr)")
        let freed = try cli.run(["gc"], db: false, environment: env)
        #expect(freed.status == 0 && freed.stdout.hasPrefix(dry.stdout.components(separatedBy: ";")[0].replacingOccurrences(of: "would free", with: "freed"))
                && freed.stdout.contains("autovacuum"), "\(freed.stdout)\(freed.stderr)")
        #expect(try cli.run(["gc"], db: false, environment: env).stdout == "nothing to free: every blob, model and dataset is used by a run\n")
        #expect(try Self.runCount(cli, url) == 1)
    }

    /// `pare sensitivity` on the tiny Llama into PostgreSQL: the same table as into SQLite, and
    /// a rerun records nothing new (it resumes like a sweep).
    @Test func sensitivityRecordsTheSameRunsAndResumes() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        let args = ["sensitivity", "--model", llama, "--test", "text:\(text),tokens=100,context=32", "--method", "quant-weight",
                    "--set", "bits=2", "--group", "block", "--format", "csv"]
        let sqlite = try cli.run(args)
        let postgres = try cli.run(args + ["--db", url], db: false)
        #expect(sqlite.status == 0 && postgres.status == 0, "\(sqlite.stderr)\(postgres.stderr)")
        #expect(postgres.stdout == sqlite.stdout && postgres.stdout.split(separator: "\n").count == 1 + 3, "\(postgres.stdout)")
        let again = try cli.run(args + ["--db", url], db: false)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.runCount(cli, url) == 3)
    }

    /// An export larger than one cursor slice (`PostgresRows.fetchSize`) of params and metrics
    /// comes out of PostgreSQL exactly as out of SQLite.
    @Test func aLargeExportStreamsTheSameRows() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let lines = (0..<700).map { i in
            "{\"method\": \"m\(i % 7)\", \"base\": \"b\", \"params\": {\"bits\": \(i % 8), \"lr\": \(Double(i) / 1000), \"tag\": \"t\(i % 3)\", \"on\": \(i % 2 == 0)}, "
                + "\"metrics\": {\"perplexity\": \(9 + Double(i) / 7), \"size_bytes\": \(1000 + i), \"loss\": \(Double(i) / 3)}}"
        }.joined(separator: "\n") + "\n"
        let file = cli.path("many.jsonl")
        try Data(lines.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try cli.run(["log", "--from", file]).status == 0)
        #expect(try cli.run(["log", "--from", file, "--db", url], db: false).status == 0)
        for extra in [[], ["--where", "params.bits >= 4 and metrics.loss > 10"], ["--format", "json"]] {
            let sqlite = try cli.run(["export"] + extra)
            let postgres = try cli.run(["export", "--db", url] + extra, db: false)
            #expect(sqlite.status == 0 && postgres.status == 0, "\(postgres.stderr)")
            #expect(postgres.stdout == sqlite.stdout && sqlite.stdout.count > 20_000)
        }
    }

    /// `pare log --from` of more batches than one: on PostgreSQL the batches go to two
    /// connections in turn, yet the ids follow the lines, a refused line and a repeated uid are
    /// reported alike, and the runs are those a log into SQLite records.
    @Test func aBulkLogOnTwoConnectionsKeepsTheLinesOrder() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        var lines = (0..<4_500).map { i in
            "{\"method\": \"m\(i % 5)\", \"base\": \"b\", \"uid\": \"u\(i)\", \"params\": {\"bits\": \(i % 8)}, \"metrics\": {\"perplexity\": \(9 + Double(i) / 64)}, \"tags\": {\"i\": \"\(i)\"}}"
        }
        lines[2_600] = "{\"method\": \"m\", \"base\": \"b\", \"metrics\": {\"perplexity\": \"high\"}}"
        lines[3_100] = lines[10]   // the same uid again: recorded once
        let file = cli.path("bulk.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let sqlite = try cli.run(["log", "--from", file])
        let postgres = try cli.run(["log", "--from", file, "--db", url], db: false)
        #expect(sqlite.status == 1 && postgres.status == 1 && postgres.stderr == sqlite.stderr, "\(postgres.stderr)")
        #expect(postgres.stdout == sqlite.stdout)
        #expect(postgres.stdout == (1...4_498).map { "\($0)\n" }.joined())
        #expect(postgres.stderr.contains("recorded 4498 runs, 1 line already recorded (same uid), 1 line refused: 2601"), "\(postgres.stderr)")
        #expect(try Self.both(cli, url, ["export", "--format", "csv"]).split(separator: "\n").count == 1 + 4_498)
        // Again: every line is recorded already, on both connections.
        let again = try cli.run(["log", "--from", file, "--db", url], db: false)
        #expect(again.stdout.isEmpty && again.stderr.contains("recorded 0 runs, 4499 lines already recorded"), "\(again.stderr)")
    }

    /// An MLP whose first layer's weights (17 MB) are past one 16 MiB blob chunk, so it is stored
    /// in pieces: a safetensors file written here, its weights a pattern of small values.
    static func largeMLP(at path: String) throws {
        let (inputs, hidden, outputs) = (2_100, 2_048, 10)
        var header = "{\"__metadata__\":{\"arch\":\"mlp\",\"dims\":\"\(inputs),\(hidden),\(outputs)\",\"act\":\"relu\"}"
        var data = Data()
        for (name, shape) in [("fc1.bias", [hidden]), ("fc1.weight", [hidden, inputs]), ("fc2.bias", [outputs]), ("fc2.weight", [outputs, hidden])] {
            let count = shape.reduce(1, *)
            let start = data.count
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count { values[i] = Float(i % 97 - 48) / 1024 }
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            header += ",\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(start),\(data.count)]}"
        }
        header += "}"
        var file = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(Data(header.utf8))
        file.append(data)
        try file.write(to: URL(fileURLWithPath: path))
    }

    /// `pare merge SHARD… --into postgresql://…` copies what a merge into a SQLite file copies:
    /// every command prints the same for the merged runs of both, their models export to the
    /// same bytes (a transformer with its tokenizer, an MLP whose weights are a chunked blob),
    /// generate --run continues a prompt the same, a baseline_run and the note naming it follow
    /// the run's new id, and merging again copies nothing.
    @Test func mergeIntoPostgresGivesWhatAMergeIntoSQLiteGives() throws {
        let cli = CLI()
        let url = try PostgresTestServer.freshDatabase()
        let llama = try TinyTransformers.llama(in: cli.directory).path
        let text = try TinyTransformers.text(in: cli.directory).path
        let big = cli.path("big.safetensors")
        try Self.largeMLP(at: big)
        let (a, b) = (cli.path("shard-a.sqlite"), cli.path("shard-b.sqlite"))
        func ok(_ arguments: [String], db: String) throws {
            let r = try cli.run(arguments + ["--db", db], db: false)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
        // Shard b first holds two runs, so shard a's runs get new ids in either target.
        try ok(["log", "--method", "int8", "--base", "org/big-mlp", "--model", big, "--metric", "accuracy=0.5"], db: b)
        try ok(["sweep", "--model", CLI.fixture("teacher.safetensors"), "--test", CLI.fixture("digits_test.csv"), "--no-timing",
                "--method", "quant-weight", "--grid", "bits=2,8"], db: b)
        try ok(["record", "--model", llama, "--test", "text:\(text),tokens=100,context=32", "--method", "quant-weight",
                "--set", "bits=4", "--no-timing"], db: a)
        try ok(["log", "--method", "kd-elsewhere", "--base", "mlp", "--param", "baseline_run=1", "--metric", "accuracy=0.75"], db: a)
        try ok(["note", "2", "baseline: run 1 (the student trained alone)"], db: a)

        let sqliteMerge = try cli.run(["merge", b, a, "--into", cli.db], db: false)
        let postgresMerge = try cli.run(["merge", b, a, "--into", url], db: false)
        #expect(sqliteMerge.status == 0 && postgresMerge.status == 0, "\(sqliteMerge.stderr)\(postgresMerge.stderr)")
        #expect(postgresMerge.stdout == sqliteMerge.stdout && postgresMerge.stdout.contains("merged 2 runs (0 already present, 0 still running, skipped) from \(a)"),
                "\(sqliteMerge.stdout)\(postgresMerge.stdout)")
        func both(_ arguments: [String]) throws -> String { try Self.both(cli, url, arguments) }
        let exported = try both(["export", "--format", "csv"])
        #expect(exported.split(separator: "\n").count == 1 + 5)
        for id in 1...5 { _ = try both(["show", "\(id)", "--format", "json"]) }
        let logged = try both(["show", "5"])
        #expect(logged.contains("baseline_run") && logged.contains("baseline: run 4 (the student trained alone)"), "\(logged)")
        _ = try both(["compare", "1", "2", "4", "--all"])
        _ = try both(["generate", "--run", "4", "--prompt", "hello", "--max-tokens", "4"])
        for (id, out) in [(1, "big"), (2, "int2"), (4, "llama")] {
            let name = out == "llama" ? out : out + ".safetensors"
            try ok(["export-model", "\(id)", "--out", cli.path("sqlite-" + name)], db: cli.db)
            try ok(["export-model", "\(id)", "--out", cli.path("postgres-" + name)], db: url)
            let files = out == "llama" ? try FileManager.default.contentsOfDirectory(atPath: cli.path("sqlite-llama")).sorted() : [""]
            #expect(!files.isEmpty)
            for file in files {
                let (x, y) = [("sqlite-", name), ("postgres-", name)].map { cli.path($0.0 + $0.1) + (file.isEmpty ? "" : "/" + file) }
                    .map { try? Data(contentsOf: URL(fileURLWithPath: $0)) }.pair
                #expect(x != nil && x == y, "run \(id) \(file)")
            }
        }
        // The chunked weights come back as the file's own bytes.
        let original = try cli.run(["export-model", "1", "--out", cli.path("shard-big.safetensors"), "--db", b], db: false)
        let shardBytes = try? Data(contentsOf: URL(fileURLWithPath: cli.path("shard-big.safetensors")))
        let mergedBytes = try? Data(contentsOf: URL(fileURLWithPath: cli.path("postgres-big.safetensors")))
        #expect(original.status == 0 && shardBytes != nil && shardBytes == mergedBytes)

        let again = try cli.run(["merge", a, b, "--into", url], db: false)
        #expect(again.status == 0 && again.stdout == "merged 0 runs (2 already present, 0 still running, skipped) from \(a)\n"
                + "merged 0 runs (3 already present, 0 still running, skipped) from \(b)\n", "\(again.stdout)\(again.stderr)")
        #expect(try both(["export", "--format", "csv"]) == exported)
        #expect(try both(["gc", "--dry-run"]) == "nothing to free: every blob, model and dataset is used by a run\n")
        let missing = try cli.run(["merge", cli.path("nope.sqlite"), "--into", url], db: false)
        #expect(missing.status == 1 && missing.stderr.contains("nope.sqlite"), "\(missing.stderr)")
        #expect(try Self.runCount(cli, url) == 5)
    }
}

private extension Array {
    /// The first two elements, for a comparison.
    var pair: (Element, Element) { (self[0], self[1]) }
}
