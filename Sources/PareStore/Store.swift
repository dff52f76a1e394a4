import Foundation
import GRDB

/// Pare's record of compression experiments: one SQLite file, shared safely by several `pare`
/// processes at once (WAL, a busy timeout, IMMEDIATE write transactions).
public final class Store: Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let known = KnownRows()

    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: TimeInterval = 10

    /// Opens the database at `path`, creating it when `create` is true, and applies any
    /// migrations this binary knows that it lacks.
    public init(path: String, create: Bool) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create { throw StoreError.missing(path: path) }
        if exists { try Self.checkSQLiteHeader(path) }

        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a crash of the process; only a power loss can
            // drop the last commits (never corrupt the file).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Recording touches one leaf of each index per metric and param; a large page
            // cache and memory-mapped reads keep those leaves out of read() calls.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            // Checkpoint every 8192 pages (32 MiB) rather than 1000: each run rewrites the same
            // hot index leaves, so rarer checkpoints copy (and fsync) far fewer pages.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch let error as DatabaseError {
            throw Self.openError(path, error)
        }
        do {
            try migrate()
        } catch let error as DatabaseError {
            throw Self.openError(path, error)
        }
    }

    private func migrate() throws {
        let migrator = Migrations.migrator
        try pool.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            if applied.isEmpty {
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    """)
                if !tables.isEmpty && !tables.contains("grdb_migrations") { throw StoreError.notPare(path: path) }
            } else if !applied.contains(where: Migrations.names.contains) {
                throw StoreError.notPare(path: path)
            }
            let unknown = applied.subtracting(Migrations.names)
            if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted()) }
        }
        do {
            try migrator.migrate(pool)
        } catch {
            // Another process may have applied the same migration between our check and our
            // transaction; then the schema is complete and all is well.
            if try pool.read({ try migrator.hasCompletedMigrations($0) }) { return }
            throw error
        }
    }

    private static func checkSQLiteHeader(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "the file cannot be read")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }  // an empty file is an empty database
        if head != Data("SQLite format 3\0".utf8) {
            throw StoreError.notSQLite(path: path, reason: "the file does not start with the SQLite header")
        }
    }

    private static func openError(_ path: String, _ error: DatabaseError) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            .notSQLite(path: path, reason: error.message ?? "file is not a database")
        default:
            .cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }
}
