import Foundation

/// Rows this process has seen committed and that Pare never deletes (experiment ids, model
/// and dataset hashes), so recording a run need not upsert them again.
final class KnownRows: @unchecked Sendable {
    private let lock = NSLock()
    private var experiments: [String: Int64] = [:]
    private var hashes: Set<String> = []

    func experimentID(_ name: String) -> Int64? {
        lock.lock(); defer { lock.unlock() }
        return experiments[name]
    }

    func contains(hash: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return hashes.contains(hash)
    }

    /// Called only after the transaction that wrote (or found) them committed.
    func remember(experiment: String, id: Int64, hashes new: [String]) {
        lock.lock(); defer { lock.unlock() }
        experiments[experiment] = id
        hashes.formUnion(new)
    }
}
