/// Why the store could not do what was asked, as one sentence a user can act on.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but is not an SQLite database.
    case notSQLite(path: String, reason: String)
    /// The file is an SQLite database that Pare did not create.
    case notPare(path: String)
    /// No database at the path and the caller did not ask to create one.
    case missing(path: String)
    /// SQLite could not open or create the file.
    case cannotOpen(path: String, reason: String)
    /// The database was migrated by a newer Pare than this binary.
    case newerSchema(path: String, unknownMigrations: [String])
    /// No run with that id; `existing` is the range of ids present, nil when there are none.
    case unknownRun(id: Int64, existing: ClosedRange<Int64>?)
    /// A metric that is neither in the vocabulary nor recorded in the database.
    case unknownMetric(String, known: [String])
    /// A run outcome or start that cannot be recorded (duplicate metric, empty key…).
    case invalidRecord(String)
    /// A query asked for something that cannot be answered (compare one run, an unknown column…).
    case invalidQuery(String)
    /// finishRun/failRun on a run that is no longer running.
    case notRunning(id: Int64, status: String)

    public var description: String {
        switch self {
        case let .notSQLite(path, reason):
            "\(path) is not a Pare database (not SQLite): \(reason)"
        case let .notPare(path):
            "\(path) is an SQLite database but not a Pare database (it holds tables Pare did not create); pick another --db"
        case let .missing(path):
            "no database at \(path); record a run first"
        case let .cannotOpen(path, reason):
            "cannot open database \(path): \(reason)"
        case let .newerSchema(path, unknown):
            "\(path) was written by a newer Pare (schema \(unknown.joined(separator: ", ")) is unknown to this binary); upgrade pare"
        case let .unknownRun(id, existing):
            if let existing {
                "no run with id \(id) (the database has runs \(existing.lowerBound)…\(existing.upperBound))"
            } else {
                "no run with id \(id) (the database has no runs yet)"
            }
        case let .unknownMetric(name, known):
            "unknown metric '\(name)'; known: \(known.joined(separator: ", "))"
        case let .invalidRecord(reason):
            "cannot record run: \(reason)"
        case let .invalidQuery(reason):
            reason
        case let .notRunning(id, status):
            "run \(id) is \(status), not running; only a running run can be finished or failed"
        }
    }
}
