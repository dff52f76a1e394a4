import Foundation
import PareStore
import PareTensor

/// `pare-bench queries [--runs 100000] [--db PATH] [--keep]`: fills a database with synthetic
/// runs (8 params, the 15 vocabulary metrics) through `Store.record(batch:)`, the recording code
/// the CLI uses, and times the query layer at 10k runs and at the full count: leaderboard,
/// pareto, best-per-method (summary), best under a budget, compare, CSV export, and the `pare`
/// process start to exit for a leaderboard call. Prints wall and CPU time (the machine is shared,
/// so CPU time is the steadier figure), medians over repetitions.
public func runQueryBenchmark(arguments: [String]) {
    var total = 100_000
    var path: String?
    var keep = false
    var i = 0
    while i < arguments.count {
        switch arguments[i] {
        case "--runs": i += 1; total = Int(arguments[i]) ?? total
        case "--db": i += 1; path = arguments[i]
        case "--keep": keep = true
        default: print("unknown argument \(arguments[i]); usage: pare-bench queries [--runs N] [--db PATH] [--keep]"); return
        }
        i += 1
    }
    let dbPath = path ?? FileManager.default.temporaryDirectory.appending(path: "pare-query-bench-\(getpid()).sqlite").path
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
    defer { if !keep { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) } } }

    do {
        let store = try Store(path: dbPath, create: true)
        var generator = SyntheticRuns(seed: 42)
        print("query benchmark: \(total) synthetic runs (8 params, 15 metrics each) in \(dbPath)")
        var recorded = 0
        var recordWall = 0.0, recordCPU = 0.0
        for checkpoint in [min(10_000, total), total] where checkpoint > recorded {
            let (wall, cpu) = measureOnce {
                while recorded < checkpoint {
                    let batch = (0..<min(1000, checkpoint - recorded)).map { _ in generator.next() }
                    _ = try! store.record(batch: batch)
                    recorded += batch.count
                }
            }
            recordWall += wall; recordCPU += cpu
            print(String(format: "\nrecorded %d runs: %.0f runs/s wall, %.0f runs/CPU-s (record(batch:) of 1000 runs)",
                         recorded, Double(recorded) / recordWall, Double(recorded) / recordCPU))
            try benchmarkQueries(store, runs: recorded, dbPath: dbPath)
        }
    } catch {
        print("error: \(error)")
    }
}

private func benchmarkQueries(_ store: Store, runs: Int, dbPath: String) throws {
    print("at \(runs) runs                               wall ms    CPU ms   rows")
    func report(_ name: String, reps: Int = 15, _ body: () throws -> Int) rethrows {
        var rows = 0
        let (wall, cpu) = try measure(reps: reps) { rows = try body() }
        print(name.padding(toLength: 40, withPad: " ", startingAt: 0)
              + String(format: "%9.2f %9.2f %6d", wall * 1e3, cpu * 1e3, rows))
    }
    try report("leaderboard accuracy top 10") { try store.leaderboard(metric: "accuracy").rows.count }
    try report("leaderboard, filtered (params, metrics)") {
        try store.leaderboard(metric: "accuracy", filter: "params.bits <= 4 and metrics.size_bytes < 100000").rows.count
    }
    try report("pareto size_bytes × accuracy", reps: 5) { try store.pareto(x: "size_bytes", y: "accuracy").rows.count }
    try report("pareto per method", reps: 5) { try store.pareto(x: "size_bytes", y: "accuracy", perMethod: true).rows.count }
    try report("summary (best per method)", reps: 5) { try store.summary(metric: "accuracy").rows.count }
    try report("best under a budget") {
        try store.best(metric: "accuracy", budget: "size_bytes <= 50000 and latency_ms_p50 <= 0.2").rows.count
    }
    try report("compare 3 runs") { try store.compare(runs: [1, Int64(runs / 2), Int64(runs)]).metrics.rows.count }
    try report("CSV export to /dev/null", reps: 3) {
        let handle = FileHandle(forWritingAtPath: "/dev/null")!
        var counter = CountingSink(inner: StreamingSink(format: .csv, output: FileHandleOutputStream(handle)))
        try store.export(into: &counter)  // the sink flushes at end()
        return counter.rows
    }

    // The `pare` binary beside this one, start to exit.
    let pare = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "pare")
    guard FileManager.default.isExecutableFile(atPath: pare.path) else {
        print("(no pare binary at \(pare.path): build it with `swift build -c release --product pare`)")
        return
    }
    // posix_spawn + waitpid: Foundation's Process.waitUntilExit polls every 50 ms on Linux,
    // which would swamp the figure.
    var walls: [Double] = [], cpus: [Double] = []
    for _ in 0..<11 {
        let before = childCPU()
        let start = DispatchTime.now().uptimeNanoseconds
        try spawnAndWait(pare.path, ["leaderboard", "--metric", "accuracy", "--db", dbPath])
        walls.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpus.append(childCPU() - before)
    }
    print("pare leaderboard (process, start to exit)".padding(toLength: 40, withPad: " ", startingAt: 0)
          + String(format: "%9.2f %9.2f", median(walls) * 1e3, median(cpus) * 1e3))
}

/// Runs a program with stdout to /dev/null and waits for it; throws unless it exits 0.
private func spawnAndWait(_ path: String, _ arguments: [String]) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(path): error \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    guard status == 0 else { throw BenchError("\(path) \(arguments.joined(separator: " ")) failed (status \(status))") }
}

private struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Counts rows on their way to another sink.
private struct CountingSink<Inner: TableSink>: TableSink {
    var inner: Inner
    var rows = 0
    mutating func begin(columns: [String]) throws { try inner.begin(columns: columns) }
    mutating func row(_ values: [TableValue]) throws { rows += 1; try inner.row(values) }
    mutating func end() throws { try inner.end() }
}

/// Runs shaped like a sweep's: eight methods over four base models, the `none` baseline one run
/// in fifty, eight params each (method included), the fifteen vocabulary metrics.
private struct SyntheticRuns {
    var state: UInt64
    var count = 0
    let methods = ["prune-magnitude", "prune-nm", "prune-wanda", "prune-structured", "quant-weight", "quant-gptq", "quant-static"]
    let models = (0..<4).map { i in
        ModelInfo(hash: SHA256.hex(Array("model \(i)".utf8)), name: "teacher-\(i)",
                  archJSON: #"{"arch":"mlp","dims":[64,256,128,10]}"#, params: 50_000, sizeBytes: 200_000)
    }
    let dataset = DatasetInfo(hash: String(repeating: "d", count: 64), name: "digits", rows: 1797, features: 64, classes: 10)

    init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }

    mutating func uniform() -> Double {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }

    mutating func next() -> (start: RunStart, outcome: RunOutcome) {
        count += 1
        let method = count % 50 == 1 ? "none" : methods[Int(uniform() * Double(methods.count))]
        let model = models[(count / 7) % models.count]
        let bits = [2, 3, 4, 8][Int(uniform() * 4)]
        let amount = (uniform() * 90).rounded() / 100
        let config: [String: ConfigValue] = [
            "amount": .double(amount), "bits": .int(bits), "group_size": .int([32, 64, 128][Int(uniform() * 3)]),
            "scope": .string(uniform() < 0.5 ? "channel" : "tensor"), "symmetric": .bool(uniform() < 0.5),
            "layers": .string("fc1,fc2,fc3"), "seed": .int(Int(uniform() * 1000)),
        ]
        let compression = method == "none" ? 1 : 1 + uniform() * 15
        let size = (200_000 / compression).rounded()
        let accuracy = max(0, 0.98 - 0.004 * compression * uniform() - 0.01 * uniform())
        let latency = 0.05 + 0.25 / compression.squareRoot() + 0.02 * uniform()
        let metrics: [String: Double] = [
            "accuracy": accuracy, "agreement": min(1, accuracy + 0.01), "kl_to_base": 0.001 * compression * uniform(),
            "params_total": 50_000, "params_nonzero": (50_000 * (1 - amount)).rounded(), "size_bytes": size,
            "base_size_bytes": 200_000, "compression_ratio": 200_000 / size, "flops": 100_000,
            "flops_effective": (100_000 * (1 - amount)).rounded(), "latency_ms_p50": latency, "latency_ms_p95": latency * 1.3,
            "throughput_sps": 1000 / latency, "compress_seconds": uniform() * 3, "weight_rel_error": uniform() * 0.3,
        ]
        return (RunStart(method: method, config: config, baseModel: model, train: dataset, test: dataset,
                         pareVersion: "bench"), RunOutcome(finalMetrics: metrics))
    }
}

private func processCPU() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

private func childCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

private func measureOnce(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    let cpu = processCPU()
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, processCPU() - cpu)
}

/// Medians of wall and CPU time over `reps` runs after one warm-up.
private func measure(reps: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    try body()
    var walls: [Double] = [], cpus: [Double] = []
    for _ in 0..<reps {
        let t = try measureOnce(body)
        walls.append(t.wall); cpus.append(t.cpu)
    }
    return (median(walls), median(cpus))
}

private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
