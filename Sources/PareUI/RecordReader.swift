import PareStore

/// Where `pare ui` reads the record from, for each request: the store as it is now.
public protocol RecordReader: Sendable {
    /// The database as the pages name it (a path, or a PostgreSQL URL without its password).
    var database: String { get }
    func store() throws -> any RunBrowsing & RunModelReading
}

/// A SQLite file, reopened read-only whenever it changed (`ReloadingStore`).
struct ReloadingReader: RecordReader {
    let reloading: ReloadingStore
    init(path: String) throws { reloading = try ReloadingStore(path: path) }
    var database: String { reloading.path }
    func store() throws -> any RunBrowsing & RunModelReading { try reloading.current() }
}

/// A store that always reads the current record itself (a PostgreSQL server: every read is a
/// transaction of its own), shared by every request.
public struct OpenStoreReader: RecordReader {
    let opened: any RunBrowsing & RunModelReading & Sendable
    public let database: String

    public init(_ store: any RunBrowsing & RunModelReading & Sendable, database: String) {
        opened = store
        self.database = database
    }

    public func store() throws -> any RunBrowsing & RunModelReading { opened }
}
