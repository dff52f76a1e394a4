import Foundation

/// A read-only store for a reader that lives long (`pare ui`): each `current()` hands back a
/// store that sees the file as it is now, reopening it when the file changed since it was opened.
///
/// A `Store(readingAt:)` opened once is right for a command that reads and exits, not for a
/// server: opened `immutable=1` (no `-wal` beside the file), it would never see a writer's
/// later commits. So the file's state (identity, size, modification time, `-wal` present) is
/// compared on each call, a `stat` costing microseconds, and the store reopened when it moved.
/// While a `-wal` exists the store reads through SQLite's read-only WAL mode, which sees each
/// commit on the next read by itself.
public final class ReloadingStore: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var opened: (store: Store, state: FileState?)

    /// Opens the database for reading; throws as `Store(readingAt:)` does (missing, not Pare's…).
    public init(path: String) throws {
        self.path = path
        let state = FileState(path)
        opened = (try Store(readingAt: path), state)
    }

    /// The store, reopened first if the file changed.
    public func current() throws -> Store {
        let now = FileState(path)
        lock.lock(); defer { lock.unlock() }
        if now == opened.state { return opened.store }
        opened = (try Store(readingAt: path), now)
        return opened.store
    }
}
