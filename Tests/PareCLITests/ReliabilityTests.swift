import Foundation
import GRDB
import Testing

/// The reliability suite: what a crash, a kill, a reader, a bad output path or several writers
/// at once may do to the record. Bounded in count and time; each suite prints its counts.
/// Serialized: the kill trials and the parallel writers need the machine's cores to themselves.
@Suite(.serialized) struct ReliabilityTests {
    static let teacher = CLI.fixture("teacher.safetensors")
    static let test = CLI.fixture("digits_test.csv")
    static let recordArgs = ["record", "--model", teacher, "--test", test, "--no-timing"]

    /// The database file's bytes as a hash: a reader must leave it byte for byte as it was.
    static func sha256(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    static func sideFiles(_ db: String) -> [String] {
        ["-wal", "-shm"].filter { FileManager.default.fileExists(atPath: db + $0) }
    }

    /// A database with a few finished runs, at rest (one file, no -wal).
    static func populated(_ label: String = #function) throws -> CLI {
        let cli = CLI(label)
        _ = try cli.record("none", name: "baseline")
        _ = try cli.record("prune-magnitude", ["amount=0.5"])
        _ = try cli.record("quant-weight", ["bits=4"])
        return cli
    }

    static let readers: [[String]] = [
        ["runs"], ["show", "2"], ["leaderboard", "--metric", "accuracy"], ["export"], ["summary"],
        ["pareto", "--x", "size_bytes", "--y", "accuracy"], ["best", "--metric", "accuracy"], ["compare", "1", "2"],
        ["runs", "--where", "metrics.accuracy > 0.5 and run.status = 'finished'"],
    ]

    // MARK: 4. Readers never write

    @Test func readersLeaveTheFileByteForByte() throws {
        let cli = try Self.populated()
        #expect(Self.sideFiles(cli.db).isEmpty, "a writer that exits cleanly leaves one file")
        let before = try Self.sha256(cli.db)
        for args in Self.readers {
            let result = try cli.run(args)
            #expect(result.status == 0, "\(args): \(result.stderr)")
        }
        let plot = try cli.run(["plot", "pareto", "--x", "size_bytes", "--y", "accuracy", "--out", cli.path("p.svg")])
        #expect(plot.status == 0, "\(plot.stderr)")
        #expect(try Self.sha256(cli.db) == before)
        #expect(Self.sideFiles(cli.db).isEmpty)
        print("reliability: \(Self.readers.count + 1) reader commands, database sha256 unchanged, no -wal/-shm left")
    }

    /// A chmod 444 database in a chmod 555 directory, read by another user (nobody): every
    /// reader works and nothing changes. Needs root (to switch user) and setpriv.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.fileExists(atPath: "/usr/bin/setpriv")))
    func readersWorkOnAReadOnlyDatabaseAsAnotherUser() throws {
        let cli = try Self.populated()
        // A world-readable copy of the binary and the database, outside any private home.
        let root = URL(fileURLWithPath: "/tmp/pare-ro-\(UUID().uuidString)")
        let folder = root.appending(path: "shared")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            chmod(folder.path, 0o755)
            try? FileManager.default.removeItem(at: root)
        }
        let binary = root.appending(path: "pare").path
        try FileManager.default.copyItem(atPath: CLI.binary.path, toPath: binary)
        let db = folder.appending(path: "results.sqlite").path
        try FileManager.default.copyItem(atPath: cli.db, toPath: db)
        chmod(root.path, 0o755)
        chmod(binary, 0o755)
        chmod(db, 0o444)
        chmod(folder.path, 0o555)
        let before = try Self.sha256(db)
        for args in Self.readers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + args + ["--db", db]
            process.currentDirectoryURL = root
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            try process.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(args) as nobody: \(message)")
        }
        #expect(try Self.sha256(db) == before)
        #expect(Self.sideFiles(db).isEmpty)
        print("reliability: \(Self.readers.count) readers as uid 65534 on a 0444 file in a 0555 directory: all exit 0")
    }

    @Test func readersRefuseOtherSchemasWithoutTouchingTheFile() throws {
        let older = try Self.populated()
        let queue = try DatabaseQueue(path: older.db)
        try queue.write { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '0004_run_owner_lease'") }
        try queue.close()
        let olderHash = try Self.sha256(older.db)
        let read = try older.run(["runs"])
        #expect(read.status == 1)
        #expect(read.stderr.contains("older Pare") && read.stderr.contains("pare runs --reap"), "\(read.stderr)")
        #expect(try Self.sha256(older.db) == olderHash)

        let newer = try Self.populated()
        let q2 = try DatabaseQueue(path: newer.db)
        try q2.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('9999_future')") }
        try q2.close()
        let newerHash = try Self.sha256(newer.db)
        for args in [["runs"], ["record", "--model", Self.teacher, "--test", Self.test, "--method", "none"]] {
            let result = try newer.run(args)
            #expect(result.status == 1)
            #expect(result.stderr.contains("newer Pare"), "\(result.stderr)")
        }
        #expect(try Self.sha256(newer.db) == newerHash)
    }

    @Test func aReaderDoesNotWaitForAWriter() throws {
        let cli = try Self.populated()
        // Hold the write lock in this process while a reader runs.
        let queue = try DatabaseQueue(path: cli.db)
        let clock = ContinuousClock()
        try queue.inTransaction(.immediate) { db in
            try db.execute(sql: "UPDATE runs SET name = name WHERE id = 1")
            let started = clock.now
            let result = try cli.run(["leaderboard", "--metric", "accuracy"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(clock.now - started < .seconds(5), "the reader waited for the writer's lock")
            return .rollback
        }
    }

    // MARK: 3. A killed run is interrupted, then reaped

    @Test func killNineAtRandomMomentsNeverLosesTheRecord() throws {
        let cli = CLI()
        let trials = 20
        var rng = SystemRandomNumberGenerator()
        var interrupted = Set<String>()
        for trial in 0..<trials {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = Self.recordArgs + ["--method", trial % 2 == 0 ? "quant-gptq" : "prune-sparsegpt",
                                                   "--calib", Self.test, "--db", cli.db]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...900_000, using: &rng))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let runs = try cli.run(["runs", "--format", "csv"])
            // Killed before the database had its schema: nothing to list, said so.
            let notYet = runs.stderr.contains("no database") || runs.stderr.contains("empty database")
            #expect(runs.status == 0 || notYet, "\(runs.stderr)")
            #expect(!runs.stdout.contains(",running,"), "a killed run shows as running: \(runs.stdout)")
            for line in runs.stdout.split(separator: "\n") where line.contains(",interrupted,") {
                interrupted.insert(String(line.prefix { $0 != "," }))
            }
        }
        // The record is whole: SQLite's own check, and every finished run has its results.
        let queue = try DatabaseQueue(path: cli.db)
        let (integrity, incomplete, finished) = try queue.read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check"),
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM runs WHERE status = 'finished'
                  AND (NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = runs.id)
                       OR NOT EXISTS (SELECT 1 FROM tensors t WHERE t.run_id = runs.id))
                """) ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE status = 'finished'") ?? -1)
        }
        try queue.close()
        #expect(integrity == "ok")
        #expect(incomplete == 0)
        // The next writer marks every interrupted run failed.
        _ = try cli.record("none")
        let after = try cli.run(["runs", "--format", "csv"])
        #expect(!after.stdout.contains(",interrupted,") && !after.stdout.contains(",running,"))
        let failed = try DatabaseQueue(path: cli.db).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE error = 'interrupted: the recording process died'") ?? 0
        }
        #expect(failed == interrupted.count)
        print("reliability: \(trials) kill -9 trials, \(interrupted.count) killed mid-run (shown interrupted, then reaped: \(failed)), "
              + "\(finished) finished before the kill, integrity_check \(integrity ?? "-"), finished runs lacking results \(incomplete)")
    }

    // MARK: Several processes at once

    @Test func fourWritersAndReadersAtOnce() throws {
        let cli = CLI()
        let writers = 4, perWriter = 5
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers + 1) { index in
            if index == writers {
                // A reader polling throughout.
                for _ in 0..<15 {
                    if let r = try? cli.run(["leaderboard", "--metric", "accuracy"]), r.status != 0,
                       !r.stderr.contains("no database") && !r.stderr.contains("empty database") {
                        failures.withLock { $0.append("reader: \(r.stderr)") }
                    }
                    usleep(100_000)
                }
                return
            }
            for n in 0..<perWriter {
                do { _ = try cli.record("quant-weight", ["bits=\(2 + (index + n) % 7)"]) } catch {
                    failures.withLock { $0.append("writer \(index): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let count = try DatabaseQueue(path: cli.db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs WHERE status = 'finished'") }
        #expect(count == writers * perWriter)
        print("reliability: \(writers) writers × \(perWriter) runs into a fresh database with a reader polling: \(count ?? 0)/\(writers * perWriter) recorded, \(failures.withLock { $0.count }) errors")
    }

    // MARK: 1, 2. Output paths

    @Test func outputsNeverReplaceADirectoryTheDatabaseOrAnInput() throws {
        let cli = try Self.populated()
        let folder = cli.path("victim")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: folder + "/important.txt"))
        let link = cli.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: cli.db)
        let relative = "./pare.sqlite"
        let dbHash = try Self.sha256(cli.db)
        let trainCopy = cli.path("train.csv")
        try FileManager.default.copyItem(atPath: Self.test, toPath: trainCopy)
        let trainHash = try Self.sha256(trainCopy)

        var cases: [(args: [String], words: [String])] = []
        for target in [folder, cli.db, link, relative, cli.db + "-wal"] {
            let words = target == folder ? ["directory"] : ["database"]
            cases += [
                (["export", "--out", target], words),
                (["plot", "pareto", "--x", "size_bytes", "--y", "accuracy", "--out", target], words),
                (["export-model", "2", "--out", target], words),
            ]
        }
        cases.append((["demo", "--csv", folder], ["directory"]))
        cases.append((["demo", "--csv", cli.db], ["database"]))
        cases.append((["train", "--train", trainCopy, "--arch", "mlp:64,8,10:relu", "--epochs", "1", "--out", trainCopy], ["--train"]))
        cases.append((["train", "--train", trainCopy, "--arch", "mlp:64,8,10:relu", "--epochs", "1", "--out", folder], ["directory"]))
        for (args, words) in cases {
            let result = try cli.run(args, db: !args.contains("train"))
            #expect(result.status == 1, "\(args) exited \(result.status)")
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!message.contains("\n") && message.hasPrefix("error: "), "\(args): \(message)")
            for word in words { #expect(message.contains(word), "'\(word)' in \(message)") }
        }
        #expect(try String(contentsOfFile: folder + "/important.txt", encoding: .utf8) == "precious")
        #expect(FileManager.default.fileExists(atPath: folder + "/sub"))
        #expect(try Self.sha256(cli.db) == dbHash)
        #expect(try Self.sha256(trainCopy) == trainHash)
        #expect(try cli.run(["runs"]).status == 0)
        // A good path is written whole, with no temporary file left beside it.
        #expect(try cli.run(["export", "--out", cli.path("runs.csv")]).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter { $0.contains("pare-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        print("reliability: \(cases.count) unsafe output paths (directory, database, symlink, ./relative, -wal, input) refused; nothing changed")
    }

    // MARK: 5, 6, 7. Bad input leaves the database as it was

    /// Bad inputs from Tests/Fixtures/bad-inputs/: each one sentence, the right exit status, no
    /// SQL and no Foundation domain in the message, the database's bytes unchanged.
    @Test func badInputCorpusLeavesTheDatabaseUnchanged() throws {
        let cli = try Self.populated()
        let before = try Self.sha256(cli.db)
        var checked = 0
        let corpus = CLI.fixtures.appending(path: "bad-inputs")
        let filters = try String(contentsOf: corpus.appending(path: "filters.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map(String.init)
        for filter in filters + [String(repeating: "(", count: 40) + "metrics.accuracy > 0" + String(repeating: ")", count: 40)] {
            for verb in [["runs"], ["leaderboard", "--metric", "accuracy"], ["export"]] {
                try expectOneSentence(cli, verb + ["--where", filter], status: 1)
                checked += 1
            }
        }
        let calibrated = CLI.fixture("digits_test.csv")
        let records: [([String], Int32)] = [
            (["--method", "prune-wanda"], 1), (["--method", "quant-static"], 1), (["--method", "quant-gptq"], 1),
            (["--method", "quant-weight", "--set", "bits=4", "--set", "granularity=group", "--set", "group_size=7"], 1),
            (["--method", "lowrank-svd", "--set", "rank=1000"], 1), (["--method", "prune-nm", "--set", "m=7"], 1),
            (["--method", "quant-qat"], 1),
            (["--method", "none", "--experiment", ""], 1), (["--method", "none", "--name", " "], 1),
            (["--method", "none", "--seed", "-1"], 64), (["--method", "no-such-method"], 1), ([], 64),
            (["--method", "none", "--recipe", calibrated], 64), (["--method", "none", "--set", "novalue"], 64),
        ]
        for (extra, status) in records {
            try expectOneSentence(cli, Self.recordArgs + extra, status: status)
            checked += 1
        }
        for (args, status) in [(["leaderboard", "--metric", "accuracy", "--limit", "-1"], Int32(64)), (["runs", "--limit", "-1"], 64),
                               (["compare", "1"], 64), (["show", "99"], 1),
                               (["record", "--model", "/dev/zero", "--test", calibrated, "--method", "none"], 1),
                               (["record", "--model", cli.directory.path, "--test", calibrated, "--method", "none"], 1),
                               (["record", "--model", Self.teacher, "--test", cli.directory.path, "--method", "none"], 1)] {
            try expectOneSentence(cli, args, status: status)
            checked += 1
        }
        #expect(try Self.sha256(cli.db) == before)
        print("reliability: \(checked) bad inputs, each one sentence with its exit status; database sha256 unchanged")
    }

    /// A fresh path: bad input creates no database file at all.
    @Test func badInputCreatesNoDatabase() throws {
        let cli = CLI()
        for extra in [["--method", "prune-wanda"], ["--method", "lowrank-svd", "--set", "rank=1000"], ["--method", "none", "--experiment", ""]] {
            let result = try cli.run(Self.recordArgs + extra)
            #expect(result.status == 1)
            #expect(!FileManager.default.fileExists(atPath: cli.db), "\(extra) created the database")
        }
    }

    @Test func aDamagedDatabaseIsNamedAsSuch() throws {
        let cli = try Self.populated()
        // Overwrite the pages after the schema page with garbage (the tables' roots among them).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: cli.db))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096 * 8))
        try handle.close()
        var sawDamage = false
        for args in [["export"], ["show", "1"], ["leaderboard", "--metric", "accuracy"],
                     Self.recordArgs + ["--method", "quant-weight"]] {
            let result = try cli.run(args)
            let message = result.stderr
            #expect(!message.contains("SELECT") && !message.contains("INSERT") && !message.contains("while executing"), "\(message)")
            if result.status != 0 {
                #expect(message.contains("damaged") && message.contains("integrity_check"), "\(args): \(message)")
                sawDamage = true
            }
        }
        #expect(sawDamage)
    }

    func expectOneSentence(_ cli: CLI, _ args: [String], status: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try cli.run(args)
        #expect(result.status == status, "\(args.suffix(6)) exited \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let firstLine = message.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.lowercased().hasPrefix("error"), "\(message)", sourceLocation: sourceLocation)
        if status == 1 { #expect(!message.contains("\n"), "one line: \(message)", sourceLocation: sourceLocation) }
        for leak in ["SELECT", "EXISTS (", "while executing", "NSCocoaErrorDomain", "Error Domain=", "SQLite error"] {
            #expect(!message.contains(leak), "'\(leak)' leaked: \(message.prefix(300))", sourceLocation: sourceLocation)
        }
        #expect(message.count < 600, "message of \(message.count) characters", sourceLocation: sourceLocation)
    }
}

/// A lock-protected value for the parallel test.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body(&value)
    }
}
