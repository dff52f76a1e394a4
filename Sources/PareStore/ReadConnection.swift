import Foundation
import GRDB

/// A connection that reads a Pare database without writing anything: not the database, not a
/// `-wal` or `-shm` file beside it, and without waiting for a writer.
///
/// SQLite's plain read-only mode is not enough for that: on a WAL database it creates `-wal`
/// and `-shm` files it then cannot remove, and in a read-only directory it cannot open at all.
/// So:
/// - When no `-wal` file exists (no writer has the database open, none crashed mid-work), the
///   file is opened `immutable=1`: no locks, no side files. A writer could still start and
///   checkpoint into the file during the read, so the file's identity, size and modification
///   time are compared before and after; if they moved (or the read failed), the read is
///   retried in shared mode.
/// - When a `-wal` file exists, its committed transactions are part of the database, so the
///   file is opened in SQLite's read-only mode, through the writer's `-shm` (WAL readers take
///   no lock a writer holds).
final class ReadConnection: @unchecked Sendable {
    let path: String
    private let immutable: DatabaseQueue?
    private let lock = NSLock()
    private var shared: DatabaseQueue?

    init(path: String) throws {
        self.path = path
        if FileManager.default.fileExists(atPath: path + "-wal") {
            immutable = nil
            _ = try sharedQueue()
        } else {
            immutable = try Self.open(path, immutable: true)
        }
    }

    /// Runs a read; SQLite's errors become one sentence about the file (never the SQL).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try unmappedRead(body)
        } catch let error as DatabaseError {
            throw StoreError.from(error, path: path)
        }
    }

    private func unmappedRead<T>(_ body: (Database) throws -> T) throws -> T {
        guard let immutable else { return try sharedQueue().read(body) }
        let before = FileState(path)
        do {
            let value = try immutable.read(body)
            if let before, FileState(path) == before { return value }
        } catch {
            // An error on a file that did not move is the answer; one on a file that a writer
            // changed meanwhile may be an artefact of the unlocked read.
            if let before, FileState(path) == before { throw error }
        }
        return try sharedQueue().read(body)
    }

    /// The connection in SQLite's read-only mode (shared locks through `-shm`), opened once.
    private func sharedQueue() throws -> DatabaseQueue {
        lock.lock(); defer { lock.unlock() }
        if let shared { return shared }
        let opened = try Self.open(path, immutable: false)
        shared = opened
        return opened
    }

    private static func open(_ path: String, immutable: Bool) throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(Store.busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        do {
            return try DatabaseQueue(path: uri(path, immutable: immutable), configuration: config)
        } catch let error as DatabaseError {
            if !immutable && FileManager.default.fileExists(atPath: path + "-wal")
                && !FileManager.default.fileExists(atPath: path + "-shm") {
                throw StoreError.cannotOpen(path: path, reason: "a writer stopped without closing it (\(path)-wal is left "
                    + "without its -shm file) and this directory is read-only; open it once with any writing pare command "
                    + "where the directory is writable")
            }
            throw StoreError.from(error, path: path)
        }
    }

    /// A `file:` URI for the path (SQLite is built with URI names), its special characters escaped.
    static func uri(_ path: String, immutable: Bool) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let escaped = absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute
        return "file:" + escaped + "?mode=ro" + (immutable ? "&immutable=1" : "")
    }
}

/// What changes when anyone writes a file: identity (device and inode, the same file through a
/// symlink or a hard link), size, modification time (ns), and whether a `-wal` file has appeared
/// beside it. Readers and `merge` compare it before and after reading a file opened immutable.
struct FileState: Equatable {
    var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int, hasWAL: Bool

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        hasWAL = FileManager.default.fileExists(atPath: path + "-wal")
    }

    /// The same file, whatever it holds now.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let x = FileState(a), let y = FileState(b) else { return false }
        return x.device == y.device && x.inode == y.inode
    }
}
