import PareStore

/// `pare ui`'s reads (runs pages, lineage, curves, methods): the shared assemblies over this
/// store's rows, in one read-only transaction each.
extension PostgresStore: RunBrowsing {
    public func browsing<T>(_ body: (any RowSource) throws -> T) throws -> T {
        try reading { try body($0) }
    }
}
