import Foundation

/// Rows this process has seen committed (experiment ids, model and dataset hashes), so
/// recording a run need not upsert them again. Only `pare gc` deletes models and datasets, and
/// it refuses while a run is being recorded; the store that collects forgets its hashes.
public final class KnownRows: @unchecked Sendable {
    private let lock = NSLock()
    private var experiments: [String: Int64] = [:]
    private var hashes: Set<String> = []
    /// For the rows of one open transaction: the committed rows it falls back on.
    private let parent: KnownRows?

    public init() { parent = nil }

    /// The rows a batch wrote earlier in its own transaction, over `parent`'s committed ones:
    /// a batch upserts its experiment, model and datasets once, not once a run. Dropped with
    /// the transaction; `parent` learns them only after the commit.
    init(within parent: KnownRows) { self.parent = parent }

    func experimentID(_ name: String) -> Int64? {
        lock.lock(); defer { lock.unlock() }
        return experiments[name] ?? parent?.experimentID(name)
    }

    func contains(hash: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return hashes.contains(hash) || parent?.contains(hash: hash) == true
    }

    /// After `collectGarbage` deleted models or datasets: they must be written again.
    public func forgetHashes() {
        lock.lock(); defer { lock.unlock() }
        hashes.removeAll()
    }

    /// Called only after the transaction that wrote (or found) them committed.
    func remember(experiment: String, id: Int64, hashes new: [String]) {
        lock.lock(); defer { lock.unlock() }
        experiments[experiment] = id
        hashes.formUnion(new)
    }
}
