import Foundation
import GRDB
import PareStore
import PostgresNIO

/// One connection to a PostgreSQL server, used synchronously: Pare's commands and its SQLite
/// store are synchronous, so each statement waits for its answer (on NIO's event loop, off the
/// calling thread). A session is used by one thread at a time.
final class PostgresSession: @unchecked Sendable {
    let location: PostgresLocation
    private let connection: PostgresConnection
    private let logger: Logger

    /// How long connecting may take before the error names the server as unreachable.
    static let connectTimeout: TimeAmount = .seconds(10)

    init(_ location: PostgresLocation) throws {
        self.location = location
        var logger = Logger(label: "pare.postgresql")
        logger.logLevel = .critical   // failures reach the user as one sentence, not log lines
        self.logger = logger
        var configuration: PostgresConnection.Configuration
        if let socket = location.socketPath {
            configuration = .init(unixSocketPath: socket, username: location.user, password: location.password,
                                  database: location.database)
        } else {
            configuration = .init(host: location.host ?? "localhost", port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: .disable)
        }
        configuration.options.connectTimeout = Self.connectTimeout
        let config = configuration
        let log = logger
        do {
            connection = try Self.waiting {
                try await PostgresConnection.connect(configuration: config, id: 1, logger: log)
            }
        } catch {
            throw PostgresStoreError.cannotConnect(server: location.server, reason: PostgresStoreError.reason(error))
        }
    }

    /// Runs one statement; its rows as a table. `columns` names the columns when no row comes
    /// back (PostgreSQL's row description is not exposed for an empty answer).
    @discardableResult
    func table(_ sql: String, _ arguments: [String: DatabaseValue] = [:], columns: [String] = []) throws -> ResultTable {
        let result: PostgresQueryResult
        do {
            result = try connection.query(NamedParameters.query(sql, arguments), logger: logger).wait()
        } catch {
            throw PostgresStoreError.refused(server: location.server, reason: PostgresStoreError.reason(error))
        }
        var table = ResultTable(columns: columns)
        for (i, row) in result.rows.enumerated() {
            if i == 0 { table.columns = row.map(\.columnName) }
            table.rows.append(row.map(Self.value))
        }
        return table
    }

    /// `count` new run ids from the runs' sequence, ascending (`reserve_run_ids`): for a batch
    /// written in one statement per table, a merge, or batches on two connections in turn.
    func reserveRunIDs(_ count: Int) throws -> [Int64] {
        if count == 0 { return [] }
        let ids = try run("reserve_run_ids", ["count": Int64(count).databaseValue]).rows
            .compactMap { if case .int(let id) = $0[0] { id } else { nil } }
        guard ids.count == count else {
            throw PostgresStoreError.refused(server: location.server, reason: "\(count) run ids could not be reserved")
        }
        return ids
    }

    /// Runs one statement whose answer holds bytes (bytea), which `table` shows only as a size:
    /// each row's cells, for the caller to decode (`PostgresSession.bytes`).
    func rawRows(_ query: String, _ arguments: [String: DatabaseValue]) throws -> [PostgresRandomAccessRow] {
        do {
            let result = try connection.query(NamedParameters.query(SQLText.postgresQuery(query, filter: nil), arguments),
                                              logger: logger).wait()
            return result.rows.map { $0.makeRandomAccess() }
        } catch {
            throw PostgresStoreError.refused(server: location.server, reason: PostgresStoreError.reason(error))
        }
    }

    /// A bytea cell's bytes (binary format: the bytes themselves); nil for NULL.
    static func bytes(_ cell: PostgresCell) -> [UInt8]? {
        cell.bytes.map { Array($0.readableBytesView) }
    }

    /// Runs one statement of the store's query files (`queries/postgresql/NAME.pgsql`, or the
    /// SQLite file where both dialects agree).
    @discardableResult
    func run(_ query: String, _ arguments: [String: DatabaseValue] = [:], columns: [String] = []) throws -> ResultTable {
        try table(SQLText.postgresQuery(query, filter: nil), arguments, columns: columns)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try table("BEGIN")
        do {
            let value = try body()
            try table("COMMIT")
            return value
        } catch {
            _ = try? table("ROLLBACK")
            throw error
        }
    }

    private let closed = NSLock()
    private var isClosed = false

    /// Closes the connection (once; a session dropped unclosed closes itself).
    func close() {
        let first = closed.withLock { () -> Bool in defer { isClosed = true }; return !isClosed }
        if first { try? connection.close().wait() }
    }

    deinit { close() }

    /// A cell as the SQLite store's queries give it: integers, reals, text; NULL as null.
    static func value(_ cell: PostgresCell) -> TableValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(TableValue.int) ?? .null
        case .float4, .float8, .numeric: return (try? cell.decode(Double.self)).map(TableValue.double) ?? .null
        case .bool: return (try? cell.decode(Bool.self)).map { .int($0 ? 1 : 0) } ?? .null
        case .bytea: return .text("<\(cell.bytes?.readableBytes ?? 0) bytes>")
        default: return (try? cell.decode(String.self)).map(TableValue.text) ?? .null
        }
    }

    /// Waits on the calling thread for an async call (postgres-nio connects only through one).
    /// The call runs on a queue of its own, not on Swift's shared pool: a caller that blocks
    /// one of the pool's few threads (a test, a parallel loop) cannot starve it.
    private static func waiting<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: QueueExecutor.shared) {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }
}

/// Runs a task's jobs on one serial dispatch queue.
private final class QueueExecutor: TaskExecutor {
    static let shared = QueueExecutor()
    private let queue = DispatchQueue(label: "pare.postgresql.connect")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A result handed from a task to the thread waiting for it.
private final class Outcome<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.withLock { result = r } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}
