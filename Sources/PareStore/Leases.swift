import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who records a run: its host, process id and process start, stamped on the run row when it
/// starts (migrations/0004). With a heartbeat renewed while the process works, any reader can
/// tell a live run from one whose process died (SIGKILL, power loss, OOM killer).
public struct RunOwner: Sendable, Equatable {
    public var host: String
    public var pid: Int32
    /// "BOOT_ID:START_TICKS" on Linux; elsewhere "" (then only the heartbeat is trusted).
    public var start: String

    /// This process.
    public static let current = RunOwner(host: hostName(), pid: getpid(), start: processStart(getpid()) ?? "")

    /// How often a recording process renews the heartbeat of its running runs.
    public static let heartbeatInterval: TimeInterval = 5
    /// A run on another host (or whose liveness this host cannot check) whose heartbeat is older
    /// than this is interrupted. Twelve missed heartbeats: a long commit never trips it.
    public static let heartbeatTimeout: TimeInterval = 60

    /// Whether the owner of a running run is alive: same host, by its pid and process start (a
    /// reused pid or a reboot is a different process); otherwise by the heartbeat's age.
    /// The ids among running runs (rows of queries/running_runs) whose owner is gone.
    public static func interrupted(_ running: ResultTable) -> [Int64] {
        if running.rows.isEmpty { return [] }   // a server names no columns for an empty answer
        func column(_ name: String) -> Int { running.columns.firstIndex(of: name)! }
        let (id, host, pid, start, silent) = (column("id"), column("owner_host"), column("owner_pid"), column("owner_start"), column("silent_seconds"))
        return running.rows.compactMap { row in
            guard case .int(let runID) = row[id] else { return nil }
            func text(_ i: Int) -> String? { if case .text(let t) = row[i] { t } else { nil } }
            let owner: Int64? = if case .int(let p) = row[pid] { p } else { nil }
            let seconds: Double = switch row[silent] { case .double(let d): d; case .int(let i): Double(i); default: .infinity }
            return isAlive(host: text(host), pid: owner, start: text(start), silentSeconds: seconds) ? nil : runID
        }
    }

    static func isAlive(host: String?, pid: Int64?, start: String?, silentSeconds: Double) -> Bool {
        let me = current
        if let host, host == me.host, let pid, let start, !start.isEmpty, !me.start.isEmpty {
            guard pid > 0, pid <= Int64(Int32.max) else { return false }
            return processStart(Int32(pid)) == start
        }
        return silentSeconds < heartbeatTimeout
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "BOOT_ID:START_TICKS" of a live process, nil when it does not exist (or not on Linux).
    static func processStart(_ pid: Int32) -> String? {
        #if os(Linux)
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return boot.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + fields[19]
        #else
        return nil
        #endif
    }
}

extension Store {
    /// Ids of the runs stored as 'running' whose recording process is gone.
    static func interruptedRunIDs(_ db: Database) throws -> [Int64] {
        RunOwner.interrupted(try SQLiteRows(db: db).table("running_runs"))
    }

    /// The `:interrupted` argument of the queries that show a run's status.
    static func interruptedArgument(_ db: Database) throws -> String {
        CanonicalJSON.array(try interruptedRunIDs(db).map { Int($0) })
    }

    /// Marks every interrupted run failed ("interrupted: the recording process died"); returns
    /// their ids. Every writer does this when it opens the database; `pare runs --reap` on demand.
    @discardableResult
    public func reapInterruptedRuns() throws -> [Int64] {
        try requireWritable()
        return try write(Self.reap)
    }

    static func reap(_ db: Database) throws -> [Int64] {
        let ids = try interruptedRunIDs(db)
        let reap = try db.cachedStatement(sql: SQLText.query("reap_run"))
        for id in ids { try reap.execute(arguments: ["id": id]) }
        return ids
    }
}

/// Renews the heartbeat of the runs this process is recording, every
/// `RunOwner.heartbeatInterval` seconds, on a background queue. A renewal that cannot get the
/// write lock in time is skipped: the next one tries again, and the timeout allows many misses.
public final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: Set<Int64> = []
    private var timer: DispatchSourceTimer?
    private let queue = DispatchQueue(label: "pare.heartbeat")
    public init() {}

    /// The SQLite store's renewal (queries/heartbeat), through its write lock.
    static func renewal(_ writer: any DatabaseWriter) -> @Sendable ([Int64]) throws -> Void {
        { ids in
            try writer.write { db in
                try db.cachedStatement(sql: SQLText.query("heartbeat")).execute(arguments: ["ids": CanonicalJSON.array(ids.map { Int($0) })])
            }
        }
    }

    /// Renews `id`'s heartbeat until `stop`. `renew` writes a renewal (the first start's is
    /// kept); an error is ignored, as a missed renewal is.
    public func start(_ id: Int64, renew: @escaping @Sendable ([Int64]) throws -> Void) {
        lock.lock(); defer { lock.unlock() }
        runs.insert(id)
        guard timer == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + RunOwner.heartbeatInterval, repeating: RunOwner.heartbeatInterval)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let ids = self.current()
            guard !ids.isEmpty else { return }
            try? renew(ids)
        }
        timer.resume()
        self.timer = timer
    }

    public func stop(_ id: Int64) {
        lock.lock(); defer { lock.unlock() }
        runs.remove(id)
    }

    private func current() -> [Int64] {
        lock.lock(); defer { lock.unlock() }
        return runs.sorted()
    }

    public func cancel() {
        lock.lock(); defer { lock.unlock() }
        timer?.cancel()
        timer = nil
    }

    deinit { timer?.cancel() }
}
