import GRDB

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
    /// A reader found an empty file (no Pare schema yet).
    case empty(path: String)
    /// A reader found a database an older Pare wrote; a writer upgrades it.
    case olderSchema(path: String, missingMigrations: [String])
    /// SQLite found a damaged page or an inconsistent file.
    case damaged(path: String, detail: String)
    /// Another process held the write lock for longer than the busy timeout.
    case busy(path: String)
    /// The file, its directory or the disk refused a write.
    case cannotWrite(path: String, reason: String)

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
        case let .empty(path):
            "\(path) is an empty database with no runs yet; record a run first"
        case let .olderSchema(path, missing):
            "\(path) was written by an older Pare (it lacks \(missing.joined(separator: ", "))); run any writing command "
                + "once to upgrade it, e.g. pare runs --reap --db \(path)"
        case let .damaged(path, detail):
            "\(path) is damaged (\(detail)); check it with sqlite3 \(path) 'PRAGMA integrity_check' and restore a backup"
        case let .busy(path):
            "\(path) is locked by another process that has been writing for over \(Int(Store.busyTimeout)) s; try again when it is done"
        case let .cannotWrite(path, reason):
            "cannot write to database \(path): \(reason)"
        }
    }

    /// A SQLite error as one sentence about the database — never the SQL that failed.
    public static func from(_ error: DatabaseError, path: String) -> StoreError {
        let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return .damaged(path: path, detail: message)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .busy(path: path)
        case .SQLITE_READONLY:
            return .cannotWrite(path: path, reason: "the file or its directory is read-only")
        case .SQLITE_FULL:
            return .cannotWrite(path: path, reason: "the disk is full")
        case .SQLITE_PERM, .SQLITE_AUTH:
            return .cannotOpen(path: path, reason: "permission denied")
        case .SQLITE_CANTOPEN:
            return .cannotOpen(path: path, reason: "SQLite cannot open the file (check that its directory exists and is accessible)")
        case .SQLITE_IOERR:
            return .cannotOpen(path: path, reason: "an I/O error (\(message))")
        case .SQLITE_TOOBIG:
            return .invalidQuery("a value is larger than SQLite allows (1 GB)")
        default:
            return .invalidQuery("the database could not answer (\(message))")
        }
    }
}

/// An error of another store (PostgreSQL's) whose description is already one sentence for the
/// user, with no SQL and no credentials in it: shown as it is (by `pare ui`, as by the CLI).
public protocol StoreSentence: Error, CustomStringConvertible {}
