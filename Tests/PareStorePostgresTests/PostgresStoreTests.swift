import Foundation
import PareTestSupport
import PareTestPostgres
import Testing
import GRDB
import PareSQL
import PareStore
import PareTensor
@testable import PareStorePostgres

/// The PostgreSQL store against the SQLite store: the same runs recorded into both answer
/// every query with the same rows.
@Suite(.enabled(if: PostgresTestServer.url != nil, "PARE_TEST_POSTGRES names no server"), .serialized)
struct PostgresStoreTests {
    /// Runs covering what the queries look at: several methods and experiments, typed params
    /// (integer, real, text, boolean, NaN), tags, a failed run, a base model with a file, a tensor.
    static func runs() -> [(start: RunStart, outcome: RunOutcome)] {
        let model = ModelInfo(hash: String(repeating: "a", count: 64), name: "teacher", archJSON: #"{"arch":"mlp","dims":[4,2]}"#,
                              params: 10, sizeBytes: 40, files: [(name: "config.json", bytes: Array(#"{"a":1}"#.utf8))])
        var out: [(start: RunStart, outcome: RunOutcome)] = []
        let methods = ["none", "quant-weight", "quant-weight", "prune-magnitude", "lowrank-svd", "quant-weight", "prune-magnitude", "distill"]
        for (i, method) in methods.enumerated() {
            var config: [String: ConfigValue] = [:]
            if method == "quant-weight" { config["bits"] = .int([2, 4, 8][i % 3]); config["scope"] = .string(i % 2 == 0 ? "channel" : "tensor") }
            if method == "prune-magnitude" { config["amount"] = .double(0.25 * Double(i % 4)); config["global"] = .bool(i % 2 == 1) }
            if method == "lowrank-svd" { config["energy"] = .double(.nan) }
            let start = RunStart(experiment: i < 5 ? "default" : "sweep-b", name: "Run \(i)", method: method, config: config,
                                 baseModel: model, pareVersion: "0.1.0-test", source: i % 3 == 0 ? .log : .pare,
                                 uid: "uid-\(i)", startedAt: "2026-12-03T10:00:0\(i).000Z", endedAt: "2026-12-03T10:01:0\(i).000Z")
            var outcome = RunOutcome(metrics: [
                (key: "accuracy", value: 0.5 + 0.05 * Double(i % 5), step: 0),
                (key: "size_bytes", value: Double(40 - 3 * i), step: 0),
                (key: "train_loss", value: 1.0 / Double(i + 1), step: 1),
            ], notes: ["note \(i)"], tags: i % 2 == 0 ? ["team": "edge", "round": "\(i)"] : ["team": "Cloud"])
            if i == 6 { outcome.error = "out of memory" }
            if i == 1 {
                outcome.tensors = [(name: "fc.weight", tensor: EncodedTensor(encoding: "dense", dtype: .f32, shape: [2, 2],
                                                                            meta: [:], payload: Array(repeating: 7, count: 16)))]
            }
            out.append((start: start, outcome: outcome))
        }
        return out
    }

    static func stores() throws -> (sqlite: Store, postgres: PostgresStore) {
        let sqlite = try Store(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("pare-pg-\(UUID().uuidString).sqlite").path, create: true)
        let postgres = try PostgresStore(url: try PostgresTestServer.freshDatabase())
        let all = runs()
        _ = try sqlite.record(batch: Array(all.prefix(3)))
        _ = try postgres.record(batch: Array(all.prefix(3)))
        for run in all.dropFirst(3) {
            _ = try sqlite.record(run.start, run.outcome)
            _ = try postgres.record(run.start, run.outcome)
        }
        return (sqlite, postgres)
    }

    static let filters: [String?] = [
        nil,
        "metrics.accuracy > 0.6",
        "params.bits < 8", "params.bits = '4'", "params.bits in (2, '32')", "params.scope = 'channel'", "params.scope > 3",
        "params.global = true", "params.amount >= 0.5", "params.energy = 'NaN'",
        "tags.team = 'edge'", "tags.team ilike 'cloud'", "tags.team like 'cloud'", "params.scope like 'chan%'",
        "run.name like 'Run _'", "run.name ilike 'run 1%'",
        "run.experiment = 'sweep-b'", "run.status = 'failed'", "run.source = 'log'", "run.uid in ('uid-1', 'uid-4')",
        "metrics.accuracy / (metrics.size_bytes - 40) < 0", "metrics.accuracy - base.accuracy > 0.05",
        "not (metrics.size_bytes < 30 or params.method = 'none')", "metrics.size_bytes between 25 and 35",
    ]

    @Test func everyQueryAnswersTheSameRowsOnBothStores() throws {
        let (sqlite, postgres) = try Self.stores()
        defer { sqlite.close(); postgres.close() }
        for filter in Self.filters {
            let label = filter ?? "no filter"
            #expect(try postgres.runs(filter: filter, limit: nil) == sqlite.runs(filter: filter, limit: nil), "runs: \(label)")
            #expect(try postgres.runs(filter: filter, limit: 3) == sqlite.runs(filter: filter, limit: 3), "runs --limit 3: \(label)")
            for ascending in [nil, true] as [Bool?] {
                #expect(try postgres.leaderboard(metric: "accuracy", ascending: ascending, filter: filter, limit: 5)
                        == sqlite.leaderboard(metric: "accuracy", ascending: ascending, filter: filter, limit: 5), "leaderboard: \(label)")
            }
            for (perMethod, allPoints) in [(false, false), (true, true)] {
                #expect(try postgres.pareto(x: "size_bytes", y: "accuracy", directions: nil, filter: filter, perMethod: perMethod, allPoints: allPoints)
                        == sqlite.pareto(x: "size_bytes", y: "accuracy", directions: nil, filter: filter, perMethod: perMethod, allPoints: allPoints),
                        "pareto: \(label)")
            }
        }
        #expect(try postgres.metricKeys() == sqlite.metricKeys())
        #expect(try postgres.existingUIDs(["uid-1", "uid-9", "uid-7"]) == ["uid-1", "uid-7"])
        // Not vacuous: the filters select different, non-empty sets.
        #expect(try sqlite.runs(filter: "params.bits < 8", limit: nil).rows.count == 1)   // run 2 (4 bits)
        #expect(try sqlite.runs(filter: "tags.team ilike 'cloud'", limit: nil).rows.count == 4)
        #expect(try postgres.leaderboard(metric: "accuracy", ascending: nil, filter: nil, limit: 10).rows.count == 7)
    }

    @Test func blobsAreStoredOnceAndExactly() throws {
        let (sqlite, postgres) = try Self.stores()
        defer { sqlite.close(); postgres.close() }
        let session = try PostgresSession(postgres.location)
        defer { session.close() }
        let blobs = try session.table("SELECT hash, size, encode(sha256(data), 'hex') AS sha FROM blobs ORDER BY hash").rows
        // config.json once for the model although 8 runs name it, and the tensor's payload.
        #expect(blobs.count == 2)
        for row in blobs { #expect(row[0] == row[2]) }
        let tensors = try session.table("SELECT name, encoding, dtype, shape, blob_hash FROM tensors").rows
        #expect(tensors.count == 1)
        #expect(tensors.first?[3] == .text("[2,2]"))
        let params = try session.table("SELECT key, value_integer, value_real, value_text FROM params WHERE run_id = 6 ORDER BY key").rows
        #expect(params.map { $0[0] } == [.text("bits"), .text("method"), .text("scope")])
        #expect(params[0][1] == .int(8) && params[0][2] == .null)   // run 6 is i = 5: 8 bits
    }

    /// A batch travels as one JSON parameter (record_*_batch): reals come back bit for bit,
    /// integers at their extremes, and text with quotes, escapes and SQL in it as it was.
    @Test func batchedRowsComeBackExactly() throws {
        let store = try PostgresStore(url: try PostgresTestServer.freshDatabase())
        defer { store.close() }
        let reals: [Double] = [0.1, 0.1 + 0.2, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e-300,
                               123456789.12345679, .infinity, -.infinity, 1.0 / 3.0]
        let text = "it's \"quoted\" \\ back\\slash\nnew line\ttab \u{01} é 🙂 '); DROP TABLE runs; --"
        var runs: [(start: RunStart, outcome: RunOutcome)] = []
        for (i, real) in reals.enumerated() {
            let start = RunStart(name: text, method: "quant-weight",
                                 config: ["real": .double(real), "big": .int(i % 2 == 0 ? Int.max : Int.min), "text": .string(text), "flag": .bool(i % 2 == 0)],
                                 pareVersion: "0.1.0-test", source: .log, uid: "exact-\(i)")
            runs.append((start: start, outcome: RunOutcome(metrics: [(key: "score", value: real, step: 0), (key: "nan", value: .nan, step: 0)],
                                                           reported: ["score"], reportedAlongside: [(key: "score", value: -real, step: 2)],
                                                           tags: ["note": text])))
        }
        let ids = try store.record(batch: runs)
        #expect(ids == Array(1...Int64(reals.count)))
        let session = try PostgresSession(store.location)
        defer { session.close() }
        for (id, real) in zip(ids, reals) {
            let metric = try session.table("SELECT value, reported FROM metrics WHERE run_id = :id AND key = 'score'", ["id": id.databaseValue]).rows
            #expect(metric == [[.double(real), .int(1)]], "run \(id)")
            #expect(try session.table("SELECT value FROM metrics WHERE run_id = :id AND key = 'nan'", ["id": id.databaseValue]).rows == [[.null]])
            let params = try session.table("SELECT key, value_integer, value_real, value_text FROM params WHERE run_id = :id ORDER BY key", ["id": id.databaseValue]).rows
            let big: Int64 = id % 2 == 1 ? .max : .min
            #expect(params == [[.text("big"), .int(big), .null, .null], [.text("flag"), .int(id % 2 == 1 ? 1 : 0), .null, .null],
                               [.text("method"), .null, .null, .text("quant-weight")],
                               [.text("real"), .null, .double(real), .null], [.text("text"), .null, .null, .text(text)]])
            #expect(try session.table("SELECT step, value FROM reported_metrics WHERE run_id = :id", ["id": id.databaseValue]).rows
                    == [[.int(2), .double(-real)]])
            #expect(try session.table("SELECT name FROM runs WHERE id = :id", ["id": id.databaseValue]).rows == [[.text(text)]])
            #expect(try session.table("SELECT value FROM tags WHERE run_id = :id", ["id": id.databaseValue]).rows == [[.text(text)]])
        }
    }

    /// The running-run life on a server: a run whose owner died on this host (its pid is no
    /// process) or went silent on another shows as interrupted to every reader, a sweep finds
    /// it to re-record, and a writer reaps it; a live owner's run (or a fresh heartbeat from
    /// another host) stays running and finishes.
    @Test func aDeadOwnersRunIsInterruptedFoundAndReaped() throws {
        let store = try PostgresStore(url: try PostgresTestServer.freshDatabase())
        defer { store.close() }
        func start(_ uid: String) -> RunStart { RunStart(method: "none", config: ["seed": .int(1)], pareVersion: "0.1.0-test", uid: uid) }
        let live = try store.beginRun(start("live")), dead = try store.beginRun(start("dead"))
        let silent = try store.beginRun(start("silent")), away = try store.beginRun(start("away"))
        store.heartbeat.cancel()   // this process owns all four: its renewals would revive 'silent'
        let session = try PostgresSession(store.location)
        defer { session.close() }
        let stamp = #"to_char((clock_timestamp() - make_interval(secs => :age)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
        try session.table("UPDATE runs SET owner_pid = 2147483000 WHERE id = :id", ["id": dead.databaseValue])
        for (id, age) in [(silent, 120.0), (away, 5.0)] {
            try session.table("UPDATE runs SET owner_host = 'elsewhere', heartbeat_at = \(stamp) WHERE id = :id",
                              ["id": id.databaseValue, "age": age.databaseValue])
        }
        func statuses() throws -> [Int64: String] {
            let table = try store.runs(filter: nil, limit: nil)
            let (id, status) = (table.columns.firstIndex(of: "id")!, table.columns.firstIndex(of: "status")!)
            var out: [Int64: String] = [:]
            for row in table.rows { if case .int(let i) = row[id], case .text(let s) = row[status] { out[i] = s } }
            return out
        }
        #expect(try statuses() == [live: "running", dead: "interrupted", silent: "interrupted", away: "running"])
        #expect(try store.runs(filter: "run.status = 'interrupted'", limit: nil).rows.count == 2)
        #expect(try store.interruptedAttempts(like: [start("any")]).sorted() == [dead, silent])
        #expect(try store.reapInterruptedRuns().sorted() == [dead, silent])
        #expect(try statuses() == [live: "running", dead: "failed", silent: "failed", away: "running"])
        #expect(try store.interruptedAttempts(like: [start("any")]).sorted() == [dead, silent])   // failed 'interrupted: …'
        #expect(throws: StoreError.notRunning(id: dead, status: "failed")) { try store.finishRun(dead, RunOutcome()) }
        #expect(throws: StoreError.unknownRun(id: 99, existing: 1...4)) { try store.failRun(99, error: "x") }
        try store.finishRun(live, RunOutcome(metrics: [(key: "accuracy", value: 0.9, step: 0), (key: "loss", value: .nan, step: 0)]))
        try store.failRun(away, error: "out of memory")
        #expect(try statuses() == [live: "finished", dead: "failed", silent: "failed", away: "failed"])
        #expect(try store.finishedRun(like: start("other")) == live)
        let metrics = try store.finalMetrics(run: live)
        #expect(metrics["accuracy"] == 0.9 && metrics["loss"]?.isNaN == true && metrics.count == 2)
        try store.deleteRuns([dead, silent])
        #expect(try statuses().keys.sorted() == [live, away])
        // The caches a run consults: a teacher's answers (the first kept) and a probe.
        try store.saveTeacherAnswers(teacher: "t", [(inputHash: "a", answer: #"{"label":1}"#), (inputHash: "b", answer: #"{"label":2}"#)])
        try store.saveTeacherAnswers(teacher: "t", [(inputHash: "a", answer: #"{"label":9}"#)])
        #expect(try store.teacherAnswers(teacher: "t", inputHashes: ["a", "b", "c"]) == ["a": #"{"label":1}"#, "b": #"{"label":2}"#])
        #expect(try store.teacherAnswers(teacher: "u", inputHashes: ["a"]).isEmpty)
        #expect(try store.probe(model: "m", dataset: "d") == nil)
    }

    @Test func reopeningMigratesNothingAndAForeignDatabaseIsRefused() throws {
        let url = try PostgresTestServer.freshDatabase()
        let first = try PostgresStore(url: url)
        _ = try first.record(Self.runs()[0].start, Self.runs()[0].outcome)
        first.close()
        let again = try PostgresStore(url: url)
        #expect(try again.runs(filter: nil, limit: nil).rows.count == 1)
        again.close()

        let foreign = try PostgresTestServer.freshDatabase()
        let session = try PostgresSession(try PostgresLocation(foreign))
        try session.table("CREATE TABLE invoices (id integer)")
        session.close()
        #expect(throws: PostgresStoreError.notPare(database: try PostgresLocation(foreign).database)) { try PostgresStore(url: foreign) }
    }

    @Test func aBatchWithABadRunRecordsNothing() throws {
        let url = try PostgresTestServer.freshDatabase()
        let store = try PostgresStore(url: url)
        defer { store.close() }
        let good = Self.runs()[0]
        var duplicate = Self.runs()[1]
        duplicate.start.uid = good.start.uid   // the unique run id refuses the second
        #expect(throws: PostgresStoreError.self) { try store.record(batch: [good, duplicate]) }
        #expect(try store.runs(filter: nil, limit: nil).rows.isEmpty)
        #expect(throws: StoreError.self) { try store.record(RunStart(method: "", pareVersion: "x"), RunOutcome()) }
        #expect(try store.record(good.start, good.outcome) > 0)
    }

    @Test func concurrentWritersLoseNothing() throws {
        let url = try PostgresTestServer.freshDatabase()
        try PostgresStore(url: url).close()   // migrated once; the writers below race on the rest
        let errors = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let store = try PostgresStore(url: url)
                defer { store.close() }
                for i in 0..<25 {
                    var run = Self.runs()[i % 8]
                    run.start.uid = "w\(worker)-\(i)"
                    run.start.experiment = "writer-\(worker % 3)"
                    _ = try store.record(run.start, run.outcome)
                }
            } catch { errors.withLock { $0 += 1 } }
        }
        #expect(errors.withLock { $0 } == 0)
        let store = try PostgresStore(url: url)
        defer { store.close() }
        #expect(try store.runs(filter: nil, limit: nil).rows.count == 200)
    }
}

@Suite struct PostgresDialectFilesTests {
    /// Every SQLite migration has its PostgreSQL twin of the same name, and no twin is extra:
    /// both stores are at the same version.
    @Test func migrationsComeInPairs() {
        #expect(EmbeddedSQL.postgresMigrations.map(\.name) == EmbeddedSQL.migrations.map(\.name))
        #expect(EmbeddedSQL.migrations.count >= 6)
    }

    /// A PostgreSQL query replaces a SQLite one of the same name, with the same parameters.
    @Test func everyPostgresQueryHasASQLiteTwinWithTheSameParameters() {
        func parameters(_ sql: String) -> Set<String> {
            NamedParameters.query(sql, [:], bindingMissingAsNull: true).names
        }
        #expect(!EmbeddedSQL.postgresQueryNames.isEmpty)
        for name in EmbeddedSQL.postgresQueryNames where !Self.postgresOnly(name) {
            #expect(EmbeddedSQL.queryNames.contains(name), "\(name).pgsql has no \(name).sql")
            // record_param alone differs: a typed value is one column in SQLite, three here
            // (RecordWriting.paramValue binds them).
            let expected = name == "record_param"
                ? parameters(EmbeddedSQL.query(name)).subtracting(["value"]).union(["value_integer", "value_real", "value_text"])
                : parameters(EmbeddedSQL.query(name))
            #expect(parameters(EmbeddedSQL.postgresQuery(name)) == expected, "\(name)")
        }
    }

    /// The queries that write a batch in one statement exist only here (in SQLite a statement
    /// costs no round trip): `reserve_run_ids`, and `X_batch` for a query X whose arguments
    /// are the columns of each JSON row; and `merge_*`, since a merge here gets the other
    /// database's rows as JSON batches where SQLite's merge attaches the file.
    static func postgresOnly(_ name: String) -> Bool {
        ["reserve_run_ids", "lock_for_gc"].contains(name) || name.hasSuffix("_batch") || name.hasPrefix("merge_")
    }

    @Test func eachBatchQueryTakesItsSingleRowTwinsArgumentsAsColumns() {
        let merges = EmbeddedSQL.postgresQueryNames.filter { $0.hasPrefix("merge_") && $0.hasSuffix("_batch") }
        #expect(merges.count == 5)
        for name in merges {
            #expect(NamedParameters.query(EmbeddedSQL.postgresQuery(name), [:], bindingMissingAsNull: true).names == ["rows"], "\(name)")
        }
        let batches = EmbeddedSQL.postgresQueryNames.filter { $0.hasSuffix("_batch") && !$0.hasPrefix("merge_") }
        #expect(batches.count == 5)
        for name in batches {
            let single = String(name.dropLast("_batch".count))
            let text = EmbeddedSQL.postgresQuery(name)
            #expect(NamedParameters.query(text, [:], bindingMissingAsNull: true).names == ["rows"], "\(name)")
            // "AS r(id bigint, key text, …)": the first word of each column definition.
            let list = text.components(separatedBy: "json_to_recordset(:rows::json) AS r(").last?.components(separatedBy: ")").first ?? ""
            let columns = Set(list.split(separator: ",").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) })
            let arguments = NamedParameters.query(EmbeddedSQL.postgresQuery(single), [:], bindingMissingAsNull: true).names
            #expect(columns == (name == "record_run_batch" ? arguments.union(["id"]) : arguments), "\(name)")
        }
    }

    @Test func namedParametersBecomeNumbersOutsideQuotesCommentsAndCasts() {
        let q = NamedParameters.query("SELECT ':no', \":no\", x::text, :a, :b, :a -- :c\n/* :d */ FROM t WHERE y = :b",
                                      ["a": 1.databaseValue, "b": "x".databaseValue], bindingMissingAsNull: false)
        #expect(q.sql == "SELECT ':no', \":no\", x::text, $1, $2, $1 -- :c\n/* :d */ FROM t WHERE y = $2")
        #expect(q.query.binds.count == 2)
    }
}

@Suite struct PostgresLocationTests {
    @Test func urlsParseAsLibpqReadsThem() throws {
        let tcp = try PostgresLocation("postgresql://ann:secret@db.example:6543/pare", environment: [:])
        #expect(tcp.host == "db.example" && tcp.port == 6543 && tcp.user == "ann" && tcp.password == "secret" && tcp.database == "pare")
        #expect(!tcp.description.contains("secret"))
        let socket = try PostgresLocation("postgresql:///pare?host=/tmp/pg&port=5433", environment: ["PGUSER": "bob", "PGPASSWORD": "pw"])
        #expect(socket.socketPath == "/tmp/pg/.s.PGSQL.5433" && socket.user == "bob" && socket.password == "pw")
        #expect(try PostgresLocation(socket.description, environment: ["PGUSER": "x"]).socketPath == socket.socketPath)
        #expect(try PostgresLocation("postgres://h/d", environment: ["PGUSER": "u"]).host == "h")
    }

    @Test func badURLsAreOneSentence() {
        for bad in ["postgresql://host", "postgresql://host/", "postgresql://h:99999/d", "postgresql://h/d?sslmode=require", "mysql://h/d"] {
            #expect(throws: PostgresStoreError.self) { try PostgresLocation(bad, environment: [:]) }
        }
    }

    @Test func anUnreachableServerIsNamedWithoutTheCredentials() throws {
        do {
            _ = try PostgresStore(url: "postgresql://ann:hunter2@127.0.0.1:1/pare")
            Issue.record("connected to port 1")
        } catch {
            let text = String(describing: error)
            #expect(text.hasPrefix("Cannot connect to PostgreSQL at 127.0.0.1:1: "), "\(text)")
            #expect(text.contains("refused"), "\(text)")
            #expect(!text.contains("hunter2") && !text.contains("\n"))
        }
    }
}
