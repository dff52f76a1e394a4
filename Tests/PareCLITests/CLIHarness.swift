import Foundation
import GRDB

/// Runs the `pare` binary built beside the test bundle, as a user would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary: URL = {
        // The test bundle and the products share one build folder.
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appending(path: "pare").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appending(path: "pare")
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appending(path: name).path }

    let directory: URL

    init(_ label: String = #function) {
        directory = FileManager.default.temporaryDirectory
            .appending(path: "pare-cli-\(label.filter { $0.isLetter })-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var db: String { directory.appending(path: "pare.sqlite").path }
    func path(_ name: String) -> String { directory.appending(path: name).path }

    /// Runs `pare ARGS --db <this test's database>` unless `db` is false; `environment` replaces
    /// the inherited one when given.
    @discardableResult
    func run(_ arguments: [String], db useDB: Bool = true, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + (useDB ? ["--db", db] : [])
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Records a quick run of `method` on the fixture teacher and returns its id.
    func record(_ method: String, _ settings: [String] = [], name: String? = nil) throws -> Int64 {
        var args = ["record", "--model", Self.fixture("teacher.safetensors"), "--test", Self.fixture("digits_test.csv"),
                    "--method", method, "--no-timing"]
        for s in settings { args += ["--set", s] }
        if let name { args += ["--name", name] }
        let result = try run(args)
        guard result.status == 0, let id = Int64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CLIError("record \(method) failed (\(result.status)): \(result.stderr)")
        }
        return id
    }

    /// Every row of every table, in order: equal fingerprints mean an unchanged database.
    func fingerprint() throws -> String {
        guard FileManager.default.fileExists(atPath: db) else { return "<no database>" }
        let queue = try DatabaseQueue(path: db)
        return try queue.read { db in
            var text = ""
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for table in tables {
                text += "## \(table)\n"
                // Some tables are WITHOUT ROWID: compare their rows as a sorted set.
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\($0)" }
                text += rows.sorted().joined(separator: "\n") + "\n"
            }
            return text
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
