import Foundation
import PareStore
import PareTensor

/// `pare log --from FILE.jsonl`: one run per line, all or nothing per line — a good line is
/// recorded, a bad one is named with its line number and reason and nothing of it is written.
public enum LogLines {
    /// A line's fields: those of `pare log` (`evaluate` true with `test` a data spec is
    /// `--evaluate --test SPEC`), plus the run's own times and id.
    static let fields: Set<String> = ["method", "base", "model", "params", "metrics", "tags", "name", "experiment",
                                      "evaluate", "test", "started_at", "ended_at", "uid"]
    /// Runs written per transaction: one commit per run would dominate a bulk load.
    public static let batchSize = 2000

    /// What a file did.
    public struct Summary: Sendable {
        /// The new runs' ids, in line order.
        public var ids: [Int64] = []
        /// Lines refused, by number (1-based) with the reason.
        public var refused: [(line: Int, reason: String)] = []
        /// Lines whose uid is recorded already (by an earlier log of this file, or earlier in it).
        public var alreadyRecorded: [Int] = []

        /// "recorded 998 runs, 2 lines refused: 17 (…), 40 (…)".
        public var description: String {
            var text = "recorded \(ids.count) run\(ids.count == 1 ? "" : "s")"
            if !alreadyRecorded.isEmpty {
                text += ", \(alreadyRecorded.count) line\(alreadyRecorded.count == 1 ? "" : "s") already recorded (same uid)"
            }
            if !refused.isEmpty {
                text += ", \(refused.count) line\(refused.count == 1 ? "" : "s") refused: "
                text += refused.map { "\($0.line) (\($0.reason))" }.joined(separator: ", ")
            }
            return text
        }
    }

    /// Records every good line of `url`; `refusedLine` hears each bad line and `recorded` each
    /// batch's new ids as they commit.
    /// `measureSpeed` false skips latency and throughput for the lines Pare evaluates.
    public static func record(contentsOf url: URL, store: any RunRecorder, defaultExperiment: String = "default",
                              measureSpeed: Bool = true,
                              refusedLine: (Int, String) -> Void = { _, _ in },
                              recorded: ([Int64]) -> Void = { _ in }) throws -> Summary {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw PareError("cannot read \(url.path): \(OutputFile.describe(error)).")
        }
        var summary = Summary()
        let models = RunLog.Models()
        let writer = BatchWriter(store: store)
        var pending: [BatchWriter.Line] = []
        var uids = Set<String>()

        func refuse(_ line: Int, _ reason: String) {
            summary.refused.append((line, reason))
            refusedLine(line, reason)
        }
        func take(_ results: [BatchWriter.Result]) {
            for result in results {
                summary.ids += result.ids
                summary.alreadyRecorded += result.alreadyRecorded
                for (line, reason) in result.refused { refuse(line, reason) }
                if !result.ids.isEmpty { recorded(result.ids) }
            }
        }

        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }   // blank lines are not runs
            do {
                var request = try parse(line, defaultExperiment: defaultExperiment)
                request.measureSpeed = measureSpeed
                let uid = request.uid.map(RunLog.storedUID)
                // Earlier in this file; the database is asked by the writer, a batch at a time.
                if let uid, uids.contains(uid) {
                    summary.alreadyRecorded.append(number)
                    continue
                }
                var run = try RunLog.prepare(request, models: models)
                try RunLog.measure(&run, store: store as? Store)
                pending.append(BatchWriter.Line(number: number, uid: uid, run: run))
                if let uid { uids.insert(uid) }
            } catch let error as StoreError {
                throw error   // the database itself failed: not this line's fault
            } catch {
                refuse(number, String(describing: error).replacingOccurrences(of: "\n", with: " "))
            }
            if pending.count >= batchSize {
                take(try writer.submit(pending))
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { take(try writer.submit(pending)) }
        take(try writer.finish())
        summary.refused.sort { $0.line < $1.line }
        summary.alreadyRecorded.sort()
        return summary
    }

    /// One line as a request (its `uid` is recorded as `RunLog.storedUID`).
    static func parse(_ line: ArraySlice<UInt8>, defaultExperiment: String) throws -> LogRequest {
        guard String(validating: line, as: UTF8.self) != nil else { throw LogInputError("not UTF-8 text") }
        let json: StrictJSON
        do { json = try StrictJSON.parse(line) } catch { throw LogInputError("not JSON: \(error.message)") }
        guard case .object(let members) = json else { throw LogInputError("a line must be a JSON object, not \(json.kind)") }
        // JSON lets a key repeat and keeps the last; a run given `bits` twice is a mistake.
        if let key = json.repeatedKey { throw LogInputError("'\(key)' is given twice") }
        var object: [String: StrictJSON] = [:]
        for (key, value) in members {
            guard fields.contains(key) else {
                throw LogInputError("unknown field '\(key)' (a line has: \(fields.sorted().joined(separator: ", ")))")
            }
            object[key] = value
        }
        func text(_ key: String) throws -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let other?: throw LogInputError("'\(key)' must be a string, not \(other.kind)")
            }
        }
        func entries(_ key: String) throws -> [(key: String, value: StrictJSON)] {
            switch object[key] {
            case nil, .null?: return []
            case .object(let m)?: return m
            case let other?: throw LogInputError("'\(key)' must be an object {\"name\": value, …}, not \(other.kind)")
            }
        }
        guard let method = try text("method") else { throw LogInputError("'method' is missing; every line names its method") }
        guard let base = try text("base") else { throw LogInputError("'base' is missing; name the base model (a path or e.g. meta-llama/Llama-3.2-1B)") }
        var params: [String: ConfigValue] = [:]
        for (key, value) in try entries("params") {
            switch value {
            // A number keeps the type it was written with: 4 is an int param, 4.0 a real one
            // (an integer too large for Int is kept as the nearest real).
            case .number: params[key] = value.integer.map(ConfigValue.int) ?? value.double.map(ConfigValue.double)
            case .bool(let v): params[key] = .bool(v)
            case .string(let v): params[key] = .string(v)
            default: throw LogInputError("param '\(key)' is \(value.kind); a param is a number, a boolean or a string")
            }
        }
        var metrics: [(key: String, value: Double)] = []
        for (key, value) in try entries("metrics") {
            guard let v = value.double else {
                throw LogInputError("metric '\(key)' is \(value.kind), not a number; a metric must be a number")
            }
            metrics.append((key, v))
        }
        var tags: [String: String] = [:]
        for (key, value) in try entries("tags") {
            guard case .string(let v) = value else { throw LogInputError("tag '\(key)' is \(value.kind); a tag's value is a string") }
            tags[key] = v
        }
        let evaluate: Bool
        switch object["evaluate"] {
        case nil, .null?: evaluate = false
        case .bool(let b)?: evaluate = b
        case let other?: throw LogInputError("'evaluate' must be true or false, not \(other.kind)")
        }
        return LogRequest(method: method, base: base, modelPath: try text("model"), params: params, metrics: metrics,
                          tags: tags, name: try text("name"), experiment: try text("experiment") ?? defaultExperiment,
                          evaluate: evaluate, testPath: try text("test"),
                          startedAt: try text("started_at"), endedAt: try text("ended_at"),
                          uid: try text("uid"))
    }
}

/// Writes batches on a thread of its own, so parsing and checking the next batch overlaps the
/// commit of the last. On a store with a companion connection (a PostgreSQL server) batches go
/// to the two connections in turn, so the server works on two at once; each batch takes its
/// run ids in the file's order, and results come back in that order. At most one batch per
/// connection is in flight, so memory stays at a few batches.
final class BatchWriter: @unchecked Sendable {
    struct Line: @unchecked Sendable {
        var number: Int
        /// As stored ("log:…"), when the line gave one.
        var uid: String?
        var run: RunLog.Prepared
    }

    struct Result: Sendable {
        var ids: [Int64] = []
        var refused: [(line: Int, reason: String)] = []
        var alreadyRecorded: [Int] = []
    }

    /// The connections batches are written on, in turn, each with its own thread.
    private let lanes: [(recorder: any RunRecorder, queue: DispatchQueue)]
    private let inFlight: DispatchSemaphore
    private let lock = NSLock()
    private var submitted = 0
    private var returned = 0
    private var results: [Int: Result] = [:]
    private var failure: (any Error)?
    /// The batch whose turn it is to take run ids (with two lanes).
    private let turn = NSCondition()
    private var nextInTurn = 0

    init(store: any RunRecorder) {
        var recorders: [any RunRecorder] = [store]
        // Without a companion (none offered, or it cannot connect) one lane does it all.
        if let companion = try? store.companion() { recorders.append(companion) }
        lanes = recorders.enumerated().map { ($1, DispatchQueue(label: "pare.log.writer.\($0)")) }
        inFlight = DispatchSemaphore(value: lanes.count)
    }

    deinit { closeCompanions() }

    /// Queues a batch (waiting while every lane is busy); returns the batches done so far, in order.
    func submit(_ lines: [Line]) throws -> [Result] {
        inFlight.wait()
        let done: [Result]
        do { done = try drain() } catch { inFlight.signal(); throw error }
        let index = submitted
        submitted += 1
        let lane = index % lanes.count
        lanes[lane].queue.async { [self] in
            defer { inFlight.signal() }
            do {
                let result = try write(lines, index: index, on: lanes[lane].recorder)
                lock.withLock { results[index] = result }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        return done
    }

    /// Waits for the last batches; returns what is not yet returned.
    func finish() throws -> [Result] {
        for lane in lanes { lane.queue.sync {} }
        closeCompanions()
        return try drain()
    }

    private func closeCompanions() {
        for lane in lanes.dropFirst() { lane.recorder.close() }
    }

    /// The finished batches that follow the last one returned, in order.
    private func drain() throws -> [Result] {
        try lock.withLock {
            if let failure { throw failure }
            var out: [Result] = []
            while let next = results.removeValue(forKey: returned) {
                out.append(next)
                returned += 1
            }
            return out
        }
    }

    /// One batch in one transaction, without the lines whose uid is recorded already (by an
    /// earlier log of the same file). Should the store refuse the batch (a check only it makes),
    /// each run is retried alone so only the bad line is lost.
    private func write(_ lines: [Line], index: Int, on recorder: any RunRecorder) throws -> Result {
        var result = Result()
        var fresh = lines
        var reserved: [Int64]?
        do {
            // With two lanes, batch `index` looks up its uids and takes its ids after batch
            // index - 1 did, so the ids follow the file's lines.
            let ordered = lanes.count > 1
            if ordered { waitForTurn(index) }
            defer { if ordered { passTurn(after: index) } }
            let known = try recorder.existingUIDs(lines.compactMap(\.uid))
            if !known.isEmpty {
                fresh = lines.filter { line in
                    guard let uid = line.uid, known.contains(uid) else { return true }
                    result.alreadyRecorded.append(line.number)
                    return false
                }
            }
            if ordered && !fresh.isEmpty { reserved = try recorder.reserveRunIDs(fresh.count) }
        }
        guard !fresh.isEmpty else { return result }
        let runs = fresh.map { (start: $0.run.start, outcome: $0.run.outcome) }
        do {
            result.ids = try reserved.map { try recorder.record(batch: runs, ids: $0) } ?? recorder.record(batch: runs)
        } catch StoreError.invalidRecord {
            for line in fresh {
                do { result.ids.append(try recorder.record(line.run.start, line.run.outcome)) } catch StoreError.invalidRecord(let why) {
                    result.refused.append((line.number, why))
                }
            }
        }
        return result
    }

    private func waitForTurn(_ index: Int) {
        turn.lock()
        while nextInTurn != index { turn.wait() }
        turn.unlock()
    }

    private func passTurn(after index: Int) {
        turn.lock()
        nextInTurn = index + 1
        turn.broadcast()
        turn.unlock()
    }
}
