import Foundation
import GRDB
import PareStore
import PareTensor
import Testing
@testable import Pare

/// `pare import mlflow` against stores written by the real MLflow 3.17.2
/// (scripts/fixtures/make_mlflow_fixtures.py → Tests/Fixtures/mlflow): the counts are MLflow's
/// own, counted by SQL on its database; the values are those the script logged.
@Suite struct MLflowImportTests {
    static let folder = Fixtures.folder.appending(path: "mlflow")
    static var trackingDB: String { folder.appending(path: "mlflow.db").path }
    static var mlruns: String { folder.appending(path: "mlruns").path }

    func readOnly(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: path, configuration: config)
    }

    func count(_ queue: DatabaseQueue, _ sql: String) throws -> Int {
        try queue.read { try Int.fetchOne($0, sql: sql)! }
    }

    /// Every row of every table of a database, in order: equal fingerprints, an unchanged database.
    func fingerprint(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "<none>" }
        return try readOnly(path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { table in
                "## \(table)\n" + (try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\($0)" }.sorted().joined(separator: "\n"))
            }.joined(separator: "\n")
        }
    }

    func imported(_ source: MLflowImport.Source, experiment: String? = nil, into: String? = nil,
                  database: String) throws -> MLflowImport.Summary {
        try MLflowImport.run(source, experiment: experiment, intoExperiment: into, database: database)
    }

    @Test func countsEqualTheSources() throws {
        let db = Fixtures.scratch().appending(path: "pare.sqlite").path
        let summary = try imported(.trackingDB(Self.trackingDB), database: db)
        #expect(summary.line == "imported 7 runs from MLflow experiments 'sweep-a', 'sweep-b' (2 still running, skipped)")

        // MLflow's counts, by SQL on its file; only its ended runs are imported.
        let mlflow = try readOnly(Self.trackingDB)
        let ended = "SELECT run_uuid FROM runs WHERE status NOT IN ('RUNNING', 'SCHEDULED')"
        let pare = try readOnly(db)
        #expect(try count(pare, "SELECT count(*) FROM runs") == count(mlflow, "SELECT count(*) FROM (\(ended))"))
        #expect(try count(pare, "SELECT count(*) FROM runs WHERE status = 'failed'")
                == count(mlflow, "SELECT count(*) FROM runs WHERE status IN ('FAILED', 'KILLED')"))
        // Params: MLflow's, plus `method` for runs whose method came from a tag or the default.
        let withoutMethodParam = try count(mlflow, "SELECT count(*) FROM (\(ended)) r WHERE NOT EXISTS "
            + "(SELECT 1 FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = 'method')")
        #expect(try count(pare, "SELECT count(*) FROM params")
                == count(mlflow, "SELECT count(*) FROM params WHERE run_uuid IN (\(ended))") + withoutMethodParam)
        #expect(try count(pare, "SELECT count(*) FROM tags") == count(mlflow, "SELECT count(*) FROM tags WHERE run_uuid IN (\(ended))"))
        #expect(try count(pare, "SELECT count(*) FROM metrics WHERE step = 0")
                == count(mlflow, "SELECT count(*) FROM latest_metrics WHERE run_uuid IN (\(ended))"))
        // History points: one per step of each metric logged at more than one step.
        #expect(try count(pare, "SELECT count(*) FROM metrics WHERE step > 0") == count(mlflow, """
            SELECT count(DISTINCT run_uuid || ' ' || key || ' ' || step) FROM metrics
            WHERE run_uuid IN (\(ended)) AND (run_uuid, key) IN
                  (SELECT run_uuid, key FROM metrics GROUP BY run_uuid, key HAVING count(DISTINCT step) > 1)
            """))
        #expect(try count(pare, "SELECT count(*) FROM metrics WHERE reported = 0") == 0)
        // The uids are MLflow's run ids.
        let uids = Set(try pare.read { try String.fetchAll($0, sql: "SELECT uid FROM runs WHERE source = 'mlflow'") })
        let runIDs = Set(try mlflow.read { try String.fetchAll($0, sql: ended) }.map { "mlflow:" + $0 })
        #expect(uids == runIDs)
    }

    @Test func valuesAreExact() throws {
        let db = Fixtures.scratch().appending(path: "pare.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), database: db)
        let store = try Store(readingAt: db)
        let runs = try readOnly(db).read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM runs").map { (id: $0["id"] as Int64, name: $0["name"] as String) }
        }
        func detail(_ name: String) throws -> RunDetail { try store.show(run: runs.first { $0.name == name }!.id) }
        func field(_ d: RunDetail, _ name: String) -> TableValue { d.fields.first { $0.name == name }!.value }

        let magnitude = try detail("magnitude-50")
        #expect(field(magnitude, "method") == .text("magnitude"))
        #expect(field(magnitude, "experiment") == .text("sweep-a"))
        #expect(field(magnitude, "status") == .text("finished"))
        #expect(field(magnitude, "started_at") == .text("2026-01-01T00:00:00.000Z"))
        #expect(field(magnitude, "ended_at") == .text("2026-01-01T00:00:04.000Z"))
        #expect(field(magnitude, "source") == .text("mlflow"))
        #expect(magnitude.params.rows == [
            [.text("amount"), .double(0.5)], [.text("big"), .text("12345678901234567890")], [.text("bits"), .int(4)],
            [.text("method"), .text("magnitude")], [.text("opt/lr"), .double(0.001)], [.text("scheme"), .text("channel")],
            [.text("seed"), .int(-3)], [.text("symmetric"), .int(1)],
        ])
        // accuracy's step 2 was logged twice: the later value is the latest and the curve's point.
        #expect(magnitude.metrics.rows == [
            [.text("accuracy"), .double(0.94), .int(3), .text("user")],
            [.text("kl_to_base"), .null, .int(0), .text("user")],
            [.text("loss"), .double(0.25), .int(3), .text("user")],
            [.text("size_bytes"), .double(123456), .int(0), .text("user")],
        ])
        let pare = try readOnly(db)
        let id = runs.first { $0.name == "magnitude-50" }!.id
        let curve = try pare.read { db in
            try Row.fetchAll(db, sql: "SELECT step, value FROM metrics WHERE run_id = ? AND key = 'accuracy' AND step > 0 ORDER BY step",
                             arguments: [id]).map { [Double($0["step"] as Int64), $0["value"] as Double] }
        }
        #expect(curve == [[1, 0.91], [2, 0.935], [3, 0.94]])
        let tags = try pare.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM tags WHERE run_id = ? ORDER BY key", arguments: [id])
                .map { "\($0["key"] as String)=\($0["value"] as String)" }
        }
        #expect(tags == ["mlflow.runName=magnitude-50", "note=first sweep", "team=edge"])

        let gptq = try detail("gptq-from-tag")
        #expect(field(gptq, "method") == .text("gptq"))
        #expect(gptq.metrics.rows == [[.text("perplexity"), .double(16.5), .int(2), .text("user")]])
        let plain = try detail("plain")
        #expect(field(plain, "method") == .text("mlflow"))
        #expect(plain.params.rows == [[.text("alpha"), .double(0.0005)], [.text("flag"), .int(0)], [.text("method"), .text("mlflow")]])

        let crashed = try detail("crashed")
        #expect(crashed.status == "failed")
        #expect(crashed.error == "MLflow status FAILED")
        #expect(field(crashed, "ended_at") == .text("2026-01-01T00:00:31.234Z"))
        #expect(try detail("stopped").error == "MLflow status KILLED")
        #expect(!runs.contains { $0.name == "in-progress" || $0.name == "int2" })
    }

    @Test func reimportingRecordsOnlyWhatIsNew() throws {
        let scratch = Fixtures.scratch()
        let db = scratch.appending(path: "pare.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), database: db)
        let before = try fingerprint(db)
        let again = try imported(.trackingDB(Self.trackingDB), database: db)
        #expect(again.recorded.isEmpty && again.alreadyImported == 7 && again.stillRunning == 2)
        #expect(try fingerprint(db) == before)

        // A run that has since finished in MLflow is imported next time, and only it.
        let copy = scratch.appending(path: "later.db").path
        try FileManager.default.copyItem(atPath: Self.trackingDB, toPath: copy)
        try DatabaseQueue(path: copy).write { db in
            try db.execute(sql: "UPDATE runs SET status = 'FINISHED', end_time = start_time + 5 WHERE name = 'in-progress'")
        }
        let later = try imported(.trackingDB(copy), database: db)
        #expect(later.line == "imported 1 run from MLflow experiments 'sweep-a', 'sweep-b' (7 already imported, 1 still running, skipped)")
    }

    @Test func anUnknownSchemaVersionIsRefusedAndNothingIsRecorded() throws {
        let scratch = Fixtures.scratch()
        let db = scratch.appending(path: "pare.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), experiment: "sweep-b", database: db)
        let copy = scratch.appending(path: "newer.db").path
        try FileManager.default.copyItem(atPath: Self.trackingDB, toPath: copy)
        try DatabaseQueue(path: copy).write { try $0.execute(sql: "UPDATE alembic_version SET version_num = 'ffff00000001'") }
        let before = try fingerprint(db), source = try fingerprint(copy)
        let error = #expect(throws: MLflowError.self) { try imported(.trackingDB(copy), database: db) }
        #expect(error == .unknownSchema(path: copy, version: "ffff00000001", known: ["0584bdc529eb from MLflow 2.22.5", "dc11669786a5 from MLflow 3.17.2"]))
        #expect(error?.description == "\(copy) has MLflow schema version ffff00000001, which this pare does not know "
            + "(it reads 0584bdc529eb from MLflow 2.22.5, dc11669786a5 from MLflow 3.17.2); import it with a pare that lists that version")
        #expect(try fingerprint(db) == before)
        #expect(try fingerprint(copy) == source)
        // Nor does a bad source create a database.
        let fresh = scratch.appending(path: "fresh.sqlite").path
        #expect(throws: MLflowError.self) { try imported(.trackingDB(copy), database: fresh) }
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }

    @Test func otherFilesAreRefused() throws {
        let scratch = Fixtures.scratch()
        let pareDB = scratch.appending(path: "pare.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), experiment: "sweep-b", database: pareDB)
        // A Pare database is SQLite but not MLflow's.
        #expect(throws: MLflowError.notTrackingDB(path: pareDB, reason: "it has no alembic_version table")) {
            try MLflowTrackingDB(path: pareDB)
        }
        #expect(throws: MLflowError.notTrackingDB(path: Fixtures.digitsTest, reason: "not an SQLite file")) {
            try MLflowTrackingDB(path: Fixtures.digitsTest)
        }
        #expect(throws: MLflowError.notFileStore(path: Fixtures.folder.path, reason: "no experiment folder with a meta.yaml in it")) {
            try MLflowFileStore(root: Fixtures.folder.path)
        }
        #expect(try MLflowTrackingDB(path: "sqlite:///" + Self.trackingDB).schemaVersion == "dc11669786a5")
        #expect(throws: MLflowError.unknownExperiment("nope", known: ["Default", "sweep-a", "sweep-b"])) {
            try MLflowTrackingDB(path: Self.trackingDB).runs(experiment: "nope")
        }
    }

    @Test func bothStoresGiveTheSameRuns() throws {
        let fromDB = try MLflowTrackingDB(path: Self.trackingDB).runs(experiment: nil)
        let fromFiles = try MLflowFileStore(root: Self.mlruns).runs(experiment: nil)
        #expect(fromDB.count == 9)
        #expect(fromDB.map(\.name) == fromFiles.map(\.name))
        for (a, b) in zip(fromDB, fromFiles) {
            #expect(a.experiment == b.experiment)
            #expect(a.status == b.status)
            #expect(a.startTime == b.startTime && a.endTime == b.endTime)
            #expect(a.params == b.params)
            #expect(a.tags == b.tags)
            let points = { (run: MLflowRun) in run.metrics.map { "\($0.key) \($0.step) \($0.timestamp) \($0.value)" } }
            #expect(points(a) == points(b), "\(a.name ?? a.id)")
        }
        // And record the same Pare runs, but for their uids.
        let scratch = Fixtures.scratch()
        let one = scratch.appending(path: "db.sqlite").path, two = scratch.appending(path: "files.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), database: one)
        let summary = try imported(.mlruns(Self.mlruns), experiment: "sweep-a", into: "from-files", database: two)
        #expect(summary.line == "imported 5 runs from MLflow experiment 'sweep-a' (1 still running, skipped)")
        _ = try imported(.mlruns(Self.mlruns), experiment: "sweep-b", database: two)
        #expect(try rows(one) == rows(two))
        let experiments = try readOnly(two).read { try String.fetchAll($0, sql: "SELECT name FROM experiments ORDER BY name") }
        #expect(experiments == ["from-files", "sweep-b"])
    }

    /// Each run's name, method, status, error, times, config, params, metrics and tags: all but its uid.
    func rows(_ path: String) throws -> [String] {
        try readOnly(path).read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.name, r.method, r.status, r.error, r.started_at, r.ended_at, r.config,
                       (SELECT group_concat(key || '=' || quote(value), ',') FROM (SELECT * FROM params WHERE run_id = r.id ORDER BY key)),
                       (SELECT group_concat(key || '@' || step || '=' || quote(value) || '/' || reported, ',')
                          FROM (SELECT * FROM metrics WHERE run_id = r.id ORDER BY key, step)),
                       (SELECT group_concat(key || '=' || value, ',') FROM (SELECT * FROM tags WHERE run_id = r.id ORDER BY key))
                FROM runs r ORDER BY r.started_at
                """).map { "\($0)" }
        }
    }

    @Test func anMLflow2DatabaseGivesTheSameRuns() throws {
        let scratch = Fixtures.scratch()
        let three = scratch.appending(path: "three.sqlite").path, two = scratch.appending(path: "two.sqlite").path
        _ = try imported(.trackingDB(Self.trackingDB), database: three)
        let summary = try imported(.trackingDB(Self.folder.appending(path: "mlflow2.db").path), database: two)
        #expect(summary.recorded.count == 7)
        #expect(try rows(two) == rows(three))
    }

    @Test func theTrackingDBIsOnlyRead() throws {
        let scratch = Fixtures.scratch()
        let folder = scratch.appending(path: "ro")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appending(path: "mlflow.db").path
        try FileManager.default.copyItem(atPath: Self.trackingDB, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        let summary = try imported(.trackingDB(copy), database: scratch.appending(path: "pare.sqlite").path)
        #expect(summary.recorded.count == 7)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["mlflow.db"])
    }

    @Test func paramsAreTypedAsSettingsAre() {
        #expect(MLflowImport.typed("4") == .int(4))
        #expect(MLflowImport.typed("-3") == .int(-3))
        #expect(MLflowImport.typed("0.5") == .double(0.5))
        #expect(MLflowImport.typed("0.5e-3") == .double(0.0005))
        #expect(MLflowImport.typed("True") == .bool(true))
        #expect(MLflowImport.typed("false") == .bool(false))
        #expect(MLflowImport.typed("12345678901234567890") == .string("12345678901234567890"))
        #expect(MLflowImport.typed("nan") == .string("nan"))
        #expect(MLflowImport.typed("inf") == .string("inf"))
        #expect(MLflowImport.typed("0x10") == .string("0x10"))
        #expect(MLflowImport.typed("") == .string(""))
        #expect(MLflowImport.typed("channel") == .string("channel"))
    }

    @Test func timesAreUTCWithMilliseconds() {
        #expect(LogTime.iso(milliseconds: 1_767_225_631_234) == "2026-01-01T00:00:31.234Z")
        #expect(LogTime.iso(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(LogTime.iso(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func metaYAMLAsMLflowWritesIt() throws {
        let text = """
            artifact_uri: file:///a/very/long
              folded/path
            end_time: null
            entry_point_name: ''
            name: 'it''s'
            quoted: "a\\"b"
            tags: []
            - ignored
            """
        let yaml = try MLflowMetaYAML.parse(text, path: "meta.yaml")
        #expect(yaml == ["artifact_uri": "file:///a/very/long folded/path", "entry_point_name": "", "name": "it's", "quoted": "a\"b", "tags": "[]"])
        #expect(throws: MLflowError.badFile(path: "m", reason: "line 2 is not 'TIMESTAMP VALUE STEP'")) {
            try MLflowFileStore.metricPoints(key: "loss", text: "1 0.5 0\n1 x 1\n", path: "m")
        }
    }
}
