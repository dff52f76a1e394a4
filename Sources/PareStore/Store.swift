import Foundation
import GRDB
import PareTensor

/// Pare's record of compression experiments: one SQLite file, shared safely by several `pare`
/// processes at once (WAL, a busy timeout, IMMEDIATE write transactions).
///
/// A store is opened for writing (`init(path:create:)`: migrates, then reaps runs whose
/// recording process died) or for reading (`init(readingAt:)`: never writes a byte, see
/// `ReadConnection`).
public final class Store: Sendable {
    /// The database file.
    public let path: String
    /// False for a store opened with `init(readingAt:)`.
    public let isWritable: Bool
    /// The interrupted runs this writer marked failed when it opened the database.
    public let reapedOnOpen: [Int64]
    private let connection: ReadConnection?
    private let writer: (any DatabaseWriter)?
    let known = KnownRows()
    let heartbeat = Heartbeat()

    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: TimeInterval = 10

    /// The database for writes. Only a writable store has one.
    var pool: any DatabaseWriter {
        guard let writer else { preconditionFailure("a read-only Store was asked to write; open it with init(path:create:)") }
        return writer
    }

    /// Opens the database at `path` for writing, creating it when `create` is true, applies any
    /// migrations this binary knows that it lacks, and marks runs whose recording process died
    /// as failed.
    public init(path: String, create: Bool) throws {
        self.path = path
        self.isWritable = true
        self.connection = nil
        var reaped: [Int64] = []
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create { throw StoreError.missing(path: path) }
        if exists {
            try Self.checkFile(path)
            // Another application's file or a newer Pare's is refused before a writer opens it.
            if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0 {
                _ = try ReadConnection(path: path).read { db in try Self.checkPare(db, path: path) }
            }
        }

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
        // Opening can meet SQLITE_BUSY at once, without SQLite's busy handler: GRDB's WAL set-up
        // and the migrator read before they write, and a transaction that read cannot wait for
        // another process's write lock. Each step is idempotent, so it is tried again until the
        // busy timeout has passed, as a plain write would wait.
        let deadline = Date().addingTimeInterval(Self.busyTimeout)
        var opened: DatabasePool?
        while true {
            do {
                let pool = try opened ?? DatabasePool(path: path, configuration: config)
                opened = pool
                try Self.migrate(pool, path: path, deadline: deadline)
                reaped = try pool.write(Self.reap)
                break
            } catch let error as DatabaseError {
                guard Self.isBusy(error), Date() < deadline else { throw StoreError.from(error, path: path) }
                usleep(UInt32.random(in: 5_000...40_000))
            }
        }
        writer = opened
        reapedOnOpen = reaped
    }

    /// Opens an existing database for reading only: no migration, no write transaction, no
    /// checkpoint, no lock that waits for a writer. Works on a read-only file or directory.
    /// A database from an older Pare is refused with how to upgrade it; a newer one likewise.
    public init(readingAt path: String) throws {
        self.path = path
        self.isWritable = false
        self.writer = nil
        self.reapedOnOpen = []
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        try Self.checkFile(path)
        let connection = try ReadConnection(path: path)
        self.connection = connection
        try connection.read { db in try Self.checkSchemaForReading(db, path: path) }
    }

    /// Runs a read. A writable store reads through its pool; a read-only one through its
    /// `ReadConnection`, which retries in shared-lock mode if a writer changed the file meanwhile.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let connection { return try connection.read(body) }
        return try retryingWhileBusy { try pool.read(body) }
    }

    /// Runs a write transaction; SQLite's errors become one sentence about the file.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try requireWritable()
        return try retryingWhileBusy { try pool.write(body) }
    }

    /// SQLite answers BUSY at once, without its busy handler, in the few cases where waiting
    /// could deadlock (a transaction that read before it wrote, a WAL recovery in progress). A
    /// transaction that failed so was rolled back and changed nothing (the bodies touch only the
    /// database; `KnownRows` learns after the commit), so it is run again until the busy timeout
    /// has passed, as a plain wait for the lock would. A BUSY after the full wait is the answer.
    private func retryingWhileBusy<T>(_ attempt: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(Self.busyTimeout)
        while true {
            do {
                return try attempt()
            } catch let error as DatabaseError {
                guard Self.isBusy(error), Date() < deadline else { throw StoreError.from(error, path: path) }
                usleep(UInt32.random(in: 5_000...40_000))
            }
        }
    }

    /// Stops the heartbeat and closes the connections: the last writer to close checkpoints the
    /// write-ahead log into the file and removes `-wal` and `-shm`, so the database rests as one
    /// file (a process that exits without closing leaves them for the next writer to fold in).
    public func close() {
        heartbeat.cancel()
        guard let pool = writer as? DatabasePool, (try? pool.close()) != nil else { return }
        // GRDB closes the pool's writer before its readers, and a read-only reader closing last
        // cannot remove the log; one more connection, opened and closed alone, is the last one.
        if let last = try? DatabaseQueue(path: path) {
            _ = try? last.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            try? last.close()
        }
    }

    /// The error for a write asked of a read-only store (a programming error in the caller,
    /// told as a sentence rather than a crash).
    func requireWritable() throws {
        if !isWritable { throw StoreError.cannotOpen(path: path, reason: "it was opened read-only") }
    }

    // MARK: Opening

    /// Applies the migrations the file lacks. Nothing is written when it has them all, so a
    /// writer that has nothing to migrate leaves the schema as it was.
    private static func migrate(_ pool: DatabasePool, path: String, deadline: Date) throws {
        let migrator = Migrations.migrator
        let complete = try pool.read { db in
            let applied = try checkPare(db, path: path)
            return Set(Migrations.names).isSubset(of: applied)
        }
        if complete { return }
        // Several processes opening a fresh database race to migrate it; the one transaction
        // (`Migrations.applyMissing`) makes the losers wait for the winner's, or, when SQLite
        // answers BUSY at once, try again (each try re-reads what is applied) until the schema
        // is complete or the busy timeout has passed: migrating can take seconds when loaded.
        while true {
            do {
                try Migrations.applyMissing(pool)
                return
            } catch {
                if try pool.read({ try migrator.hasCompletedMigrations($0) }) { return }
                if Date() >= deadline { throw error }
                usleep(UInt32.random(in: 10_000...50_000))
            }
        }
    }

    /// SQLITE_BUSY or SQLITE_LOCKED, with any extended code (a stale snapshot, a recovery).
    static func isBusy(_ error: DatabaseError) -> Bool {
        error.resultCode.primaryResultCode == .SQLITE_BUSY || error.resultCode.primaryResultCode == .SQLITE_LOCKED
    }

    /// The migrations applied to a Pare database (empty for an empty one); throws for another
    /// application's SQLite file or a newer Pare's schema.
    private static func checkPare(_ db: Database, path: String) throws -> Set<String> {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
            """)
        if tables.isEmpty { return [] }
        guard tables.contains("grdb_migrations") else { throw StoreError.notPare(path: path) }
        let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        if !applied.isEmpty && !applied.contains(where: Migrations.names.contains) { throw StoreError.notPare(path: path) }
        let unknown = applied.subtracting(Migrations.names)
        if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted()) }
        return applied
    }

    private static func checkSchemaForReading(_ db: Database, path: String) throws {
        let applied = try checkPare(db, path: path)
        if applied.isEmpty { throw StoreError.empty(path: path) }
        let missing = Migrations.names.filter { !applied.contains($0) }
        if !missing.isEmpty { throw StoreError.olderSchema(path: path, missingMigrations: missing) }
    }

    /// A directory, a device or a file that does not start like SQLite is refused before SQLite
    /// sees it.
    private static func checkFile(_ path: String) throws {
        do {
            try InputFile.check(path)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: InputFile.reason(error))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "the file cannot be read (permission denied)")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }  // an empty file is an empty database
        if head != Data("SQLite format 3\0".utf8) {
            throw StoreError.notSQLite(path: path, reason: "the file does not start with the SQLite header")
        }
    }
}
