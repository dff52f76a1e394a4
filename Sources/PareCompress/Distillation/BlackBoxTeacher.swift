import Foundation
import PareTensor

/// One answer of a black-box teacher for one input.
public enum TeacherAnswer: Sendable, Equatable, Codable {
    case logits([Float])
    case probabilities([Float])
    case label(Int)
    /// A text teacher's answer to a prompt (`TextTeacher`).
    case text(String)

    /// The answer as the JSON object a teacher would send (without the id), for a cache to store.
    public var json: String {
        switch self {
        case .logits(let v): "{\"logits\": [\(v.map { "\($0)" }.joined(separator: ", "))]}"
        case .probabilities(let v): "{\"probs\": [\(v.map { "\($0)" }.joined(separator: ", "))]}"
        case .label(let y): "{\"label\": \(y)}"
        case .text(let t): "{\"text\": \(TeacherAnswer.quoted(t))}"
        }
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

/// Where a teacher's answers are kept between runs, keyed by `BlackBoxTeacher.cacheKey(for:)`
/// (the hex SHA-256 of the input row). The caller stores them in the database; a cache belongs
/// to one teacher command (the caller scopes it), so two teachers never share answers.
public protocol TeacherAnswerCache: Sendable {
    func get(_ key: String) -> TeacherAnswer?
    func put(_ key: String, _ answer: TeacherAnswer)
    /// Many keys at once (a database answers them in one query); default: one `get` each.
    func get(_ keys: [String]) -> [TeacherAnswer?]
    /// Many answers at once (a database writes them in one transaction); default: one `put` each.
    func put(_ entries: [(key: String, answer: TeacherAnswer)])
}

extension TeacherAnswerCache {
    public func get(_ keys: [String]) -> [TeacherAnswer?] { keys.map { get($0) } }
    public func put(_ entries: [(key: String, answer: TeacherAnswer)]) {
        for entry in entries { put(entry.key, entry.answer) }
    }
}

/// An in-memory cache (for tests, and for one process's reruns).
public final class MemoryTeacherCache: TeacherAnswerCache, @unchecked Sendable {
    private var answers: [String: TeacherAnswer] = [:]
    private let lock = NSLock()
    public init() {}
    public func get(_ key: String) -> TeacherAnswer? { lock.withLock { answers[key] } }
    public func put(_ key: String, _ answer: TeacherAnswer) { lock.withLock { answers[key] = answer } }
    public var count: Int { lock.withLock { answers.count } }
}

/// A black-box teacher failed; `description` is one sentence naming the line or id.
public struct TeacherError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case badCommand, notFound, notExecutable, crashed, timedOut, malformed, wrongClassCount, idMismatch, missingField, badValue
    }
    public let kind: Kind
    public let description: String
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// The teacher's answers for a batch in the form the distillation loss takes.
public enum TeacherOutputs: Sendable, Equatable {
    case logits(Tensor)
    case probabilities(Tensor)
    case labels([Int])
}

/// A teacher that is any executable: `teacher_cmd="python3 teacher.py --fast"`.
///
/// Protocol (JSON lines): Pare writes one line per input, `{"id": n, "x": [x0, x1, …]}`, to the
/// command's stdin and closes it after the last; the command answers one line per input, in
/// order, `{"id": n, "logits": [...]}` or `{"id": n, "probs": [...]}` (temperature 1, summing
/// to 1) or `{"id": n, "label": k}`. Inputs are written on a separate thread while answers are
/// read, so a teacher that answers as it reads never deadlocks on full pipes.
///
/// The command is split into arguments as a POSIX shell would split words (whitespace,
/// '…', "…", backslash escapes) but no shell runs it; the program is looked up on PATH
/// unless it contains a '/'. A teacher that gives no answer for `timeout` seconds (from the
/// start, or since its previous answer) is killed.
public struct BlackBoxTeacher: Sendable {
    public let command: String
    public let arguments: [String]
    /// The resolved path of the program.
    public let executable: String
    public let classes: Int
    public let timeout: Double
    public let cache: (any TeacherAnswerCache)?

    /// Splits and resolves `command`; throws `TeacherError` (badCommand / notFound /
    /// notExecutable) before anything runs.
    public init(command: String, classes: Int, timeout: Double = 30, cache: (any TeacherAnswerCache)? = nil) throws {
        precondition(classes >= 1 && timeout > 0)
        let words = try Self.split(command)
        guard let program = words.first else {
            throw TeacherError(.badCommand, "teacher_cmd is empty; give the command that runs the teacher, e.g. teacher_cmd=\"python3 teacher.py\".")
        }
        self.command = command
        self.arguments = Array(words.dropFirst())
        self.executable = try Self.resolve(program)
        self.classes = classes
        self.timeout = timeout
        self.cache = cache
    }

    /// The cache key of one input row: hex SHA-256 of its little-endian Float32 bytes.
    public static func cacheKey(for row: ArraySlice<Float>) -> String {
        SHA256.hex(Bytes.of(Array(row)))
    }

    /// The teacher's answer for every row of `inputs` [rows, features], from the cache where it
    /// has them, asking the command (once, for all the others) otherwise.
    public func answers(for inputs: Tensor) throws -> [TeacherAnswer] {
        try answersCounting(for: inputs).answers
    }

    /// The answers, and how many rows the command was asked for (the rest came from the cache).
    /// Fresh answers are put into the cache in one batch, only once every row was answered.
    public func answersCounting(for inputs: Tensor) throws -> (answers: [TeacherAnswer], queried: Int) {
        let rows = inputs.rows, width = inputs.columns
        var answers = [TeacherAnswer?](repeating: nil, count: rows)
        var keys: [String] = []
        if let cache {
            keys = (0..<rows).map { Self.cacheKey(for: inputs.data[($0 * width)..<(($0 + 1) * width)]) }
            answers = cache.get(keys)
        }
        let missing = (0..<rows).filter { answers[$0] == nil }
        if !missing.isEmpty {
            let fresh = try query(inputs: inputs, rows: missing)
            for (row, answer) in zip(missing, fresh) { answers[row] = answer }
            if let cache { cache.put(zip(missing, fresh).map { (key: keys[$0], answer: $1) }) }
        }
        return (answers.map { $0! }, missing.count)
    }

    /// The answers as one tensor (or label list). When a teacher mixes kinds, logits become
    /// probabilities (softmax) and labels one-hot probabilities.
    public func outputs(for inputs: Tensor) throws -> TeacherOutputs {
        Self.consolidate(try answers(for: inputs), classes: classes)
    }

    public static func consolidate(_ answers: [TeacherAnswer], classes: Int) -> TeacherOutputs {
        if answers.allSatisfy({ if case .label = $0 { true } else { false } }) {
            return .labels(answers.map { answer -> Int in
                if case .label(let y) = answer { return y }
                return 0
            })
        }
        if answers.allSatisfy({ if case .logits = $0 { true } else { false } }) {
            return .logits(Tensor(shape: [answers.count, classes], data: answers.flatMap { answer -> [Float] in
                if case .logits(let v) = answer { return v }
                return []
            }))
        }
        var data: [Float] = []
        for answer in answers {
            switch answer {
            case .probabilities(let p): data += p
            case .logits(let v): data += DistillationLoss.softmax(Tensor(shape: [1, classes], data: v)).data
            case .label(let y): data += (0..<classes).map { $0 == y ? 1 : 0 }
            case .text: data += [Float](repeating: 1 / Float(classes), count: classes)
            }
        }
        return .probabilities(Tensor(shape: [answers.count, classes], data: data))
    }

    // MARK: - Running the command

    /// Starts the command with fresh pipes. A script written a moment ago can be briefly "text
    /// file busy" (ETXTBSY): a process forked elsewhere in this program at that moment holds the
    /// writer's descriptor until its exec. That clears within milliseconds, so the start is
    /// retried (with a new Process: a failed one cannot be run again) for up to two seconds;
    /// every other error is the answer.
    private func launch(onExit: @escaping @Sendable () -> Void) throws -> (Process, Pipe, Pipe, Pipe) {
        let deadline = Date().addingTimeInterval(2)
        while true {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            process.terminationHandler = { _ in onExit() }
            do {
                try process.run()
                return (process, stdin, stdout, stderr)
            } catch let error as NSError {
                let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
                let busy = (error.domain == NSPOSIXErrorDomain && error.code == Int(ETXTBSY))
                    || (underlying?.domain == NSPOSIXErrorDomain && underlying?.code == Int(ETXTBSY))
                guard busy, Date() < deadline else { throw error }
                usleep(10_000)
            }
        }
    }

    private func query(inputs: Tensor, rows: [Int]) throws -> [TeacherAnswer] {
        ignoreSIGPIPE
        let width = inputs.columns
        let lines: [String] = rows.map { row in
            let x = inputs.data[(row * width)..<((row + 1) * width)].map { value -> String in
                value.isFinite ? "\(value)" : "0"
            }
            return "{\"id\": \(row), \"x\": [\(x.joined(separator: ", "))]}\n"
        }
        return try exchange(lines: lines, ids: rows) { line, n, id in try parse(line, lineNumber: n, expectedID: id) }
    }

    /// Runs the command once: writes `lines` (one input each, with id `ids[i]`) and reads one
    /// answer per input, in order, each through `parse(line, line number, expected id)`; a crash,
    /// a hang (`timeout`), or a bad line is a `TeacherError` naming the line.
    func exchange<Answer>(lines: [String], ids rows: [Int],
                          parse: (String, Int, Int) throws -> Answer) throws -> [Answer] {
        ignoreSIGPIPE
        let output = LineCollector()
        let errors = LineCollector()
        let (process, stdin, stdout, stderr): (Process, Pipe, Pipe, Pipe)
        do {
            (process, stdin, stdout, stderr) = try launch { output.markExited() }
        } catch {
            throw TeacherError(.notExecutable, "teacher command '\(command)' could not be started: \(error.localizedDescription).")
        }
        let pid = process.processIdentifier

        // The threads own duplicates of our ends of the pipes and close them when done, so no
        // descriptor is closed twice (the FileHandles' copies are closed here, right away).
        let inFD = dup(stdin.fileHandleForWriting.fileDescriptor)
        let outFD = dup(stdout.fileHandleForReading.fileDescriptor)
        let errFD = dup(stderr.fileHandleForReading.fileDescriptor)
        try? stdin.fileHandleForWriting.close()
        try? stdout.fileHandleForReading.close()
        try? stderr.fileHandleForReading.close()
        let finished = DispatchGroup()
        DispatchQueue.global().async(group: finished) { writeAll(lines, to: inFD); close(inFD) }
        DispatchQueue.global().async(group: finished) { output.readAll(from: outFD); close(outFD) }
        DispatchQueue.global().async(group: finished) { errors.readAll(from: errFD); close(errFD) }

        var answers: [Answer] = []
        answers.reserveCapacity(rows.count)
        var lineNumber = 0
        do {
            while answers.count < rows.count {
                guard let line = output.next(timeout: timeout) else {
                    if output.isFinished {
                        // Stdout closed (or the teacher exited) before every input was answered.
                        _ = output.waitExit(timeout: 2)
                        stop(pid)
                        process.waitUntilExit()
                        // Its last stderr line may still be in the pipe: let the reader drain it.
                        _ = finished.wait(timeout: .now() + 2)
                        throw crashError(process, answered: answers.count, of: rows.count, stderr: errors.lastLine)
                    }
                    stop(pid)
                    process.waitUntilExit()
                    throw TeacherError(.timedOut, "teacher '\(command)' gave no answer for input id \(rows[answers.count]) (line \(answers.count + 1)) within \(Self.seconds(timeout)) and was stopped; raise teacher_timeout if it is just slow.")
                }
                lineNumber += 1
                if line.allSatisfy(\.isWhitespace) { continue }   // blank lines are skipped (but counted)
                answers.append(try parse(line, lineNumber, rows[answers.count]))
            }
        } catch {
            stop(pid)
            process.waitUntilExit()
            _ = finished.wait(timeout: .now() + 2)
            throw error
        }
        // Every input answered: give the teacher a moment to exit on its own, then stop it.
        _ = output.waitExit(timeout: min(timeout, 5))
        stop(pid)
        process.waitUntilExit()
        _ = finished.wait(timeout: .now() + 2)
        return answers
    }

    private func crashError(_ process: Process, answered: Int, of total: Int, stderr: String?) -> TeacherError {
        let how = process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)"
            : "exited with status \(process.terminationStatus)"
        let tail = stderr.map { " (last stderr line: \($0))" } ?? ""
        return TeacherError(.crashed, "teacher '\(command)' \(how) after answering \(answered) of \(total) inputs\(tail).")
    }

    /// One answer line as JSON: every field optional, so a missing one gets its own error.
    private struct AnswerLine: Decodable {
        var id: Int?
        var logits: [Double]?
        var probs: [Double]?
        var label: Int?
    }

    private func parse(_ line: String, lineNumber n: Int, expectedID: Int) throws -> TeacherAnswer {
        let preview = line.count > 80 ? String(line.prefix(77)) + "..." : line
        let data = Data(line.utf8)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw TeacherError(.malformed, "teacher answer on line \(n) (input id \(expectedID)) is not a JSON object: \(preview)")
        }
        let answer: AnswerLine
        do {
            answer = try JSONDecoder().decode(AnswerLine.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.first?.stringValue ?? "?"
            throw TeacherError(.badValue, "teacher answer on line \(n) (input id \(expectedID)): \"\(field)\" has the wrong type (\"id\" and \"label\" are whole numbers, \"logits\" and \"probs\" arrays of numbers).")
        } catch {
            throw TeacherError(.malformed, "teacher answer on line \(n) (input id \(expectedID)) could not be read: \(preview)")
        }
        guard let id = answer.id else {
            throw TeacherError(.missingField, "teacher answer on line \(n) has no \"id\" (expected id \(expectedID)).")
        }
        guard id == expectedID else {
            throw TeacherError(.idMismatch, "teacher answer on line \(n) has id \(id) but id \(expectedID) was expected (answers must come in input order).")
        }
        if let numbers = answer.logits ?? answer.probs {
            let field = answer.logits != nil ? "logits" : "probs"
            guard numbers.count == classes else {
                throw TeacherError(.wrongClassCount, "teacher answer on line \(n) (id \(id)) has \(numbers.count) \(field) but the student has \(classes) classes.")
            }
            guard numbers.allSatisfy({ $0.isFinite && abs($0) < Double(Float.greatestFiniteMagnitude) }) else {
                throw TeacherError(.badValue, "teacher answer on line \(n) (id \(id)): \"\(field)\" holds a value too large for Float32.")
            }
            if field == "logits" { return .logits(numbers.map { Float($0) }) }
            let sum = numbers.reduce(0, +)
            guard numbers.allSatisfy({ $0 >= 0 }), abs(sum - 1) <= 1e-3 else {
                throw TeacherError(.badValue, "teacher answer on line \(n) (id \(id)): \"probs\" must be non-negative and sum to 1, not \(sum).")
            }
            return .probabilities(numbers.map { Float($0) })
        }
        if let label = answer.label {
            guard label >= 0 && label < classes else {
                throw TeacherError(.wrongClassCount, "teacher answer on line \(n) (id \(id)) has label \(label) but the student has classes 0…\(classes - 1).")
            }
            return .label(label)
        }
        throw TeacherError(.missingField, "teacher answer on line \(n) (id \(id)) has none of \"logits\", \"probs\" or \"label\".")
    }

    static func seconds(_ t: Double) -> String { t == t.rounded() ? "\(Int(t)) s" : "\(t) s" }

    // MARK: - Command line

    /// Splits a command into words like a POSIX shell (no expansion, no shell).
    public static func split(_ command: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(command).makeIterator()
        while let ch = iterator.next() {
            switch ch {
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'":
                inWord = true
                var closed = false
                while let c = iterator.next() {
                    if c == "'" { closed = true; break }
                    current.append(c)
                }
                if !closed { throw TeacherError(.badCommand, "teacher_cmd has an unterminated ' quote: \(command)") }
            case "\"":
                inWord = true
                var closed = false
                while let c = iterator.next() {
                    if c == "\"" { closed = true; break }
                    if c == "\\" {
                        guard let next = iterator.next() else { break }
                        if "\"\\$`".contains(next) { current.append(next) } else { current.append(c); current.append(next) }
                    } else {
                        current.append(c)
                    }
                }
                if !closed { throw TeacherError(.badCommand, "teacher_cmd has an unterminated \" quote: \(command)") }
            case "\\":
                inWord = true
                if let next = iterator.next() { current.append(next) }
            default:
                inWord = true
                current.append(ch)
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// Checks, before anything runs, that `command` names a program that exists and can run;
    /// a problem is a `ConfigError` of `distill` (`ifEmpty` says what to do with an empty one).
    public static func checkCommand(_ command: String, ifEmpty: String) throws {
        do {
            guard let program = try split(command).first else { throw TeacherError(.badCommand, ifEmpty) }
            _ = try resolve(program)
        } catch let error as TeacherError {
            throw ConfigError("distill: \(error.description)")
        }
    }

    /// The path of `program`: as given when it contains '/', else the first match on PATH.
    public static func resolve(_ program: String) throws -> String {
        let fm = FileManager.default
        if program.contains("/") {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: program, isDirectory: &isDirectory) else {
                throw TeacherError(.notFound, "teacher program '\(program)' does not exist.")
            }
            guard !isDirectory.boolValue, fm.isExecutableFile(atPath: program) else {
                throw TeacherError(.notExecutable, "teacher program '\(program)' is not executable (chmod +x it, or run it through its interpreter, e.g. teacher_cmd=\"python3 \(program)\").")
            }
            return program
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw TeacherError(.notFound, "teacher program '\(program)' was not found on PATH.")
    }
}

/// Kills the teacher and everything it started: Process makes the child a process-group
/// leader, and a killed shell's own children (a `sleep`, a python worker) would otherwise keep
/// its pipes, and Process's wait, open.
private func stop(_ pid: Int32) {
    kill(-pid, SIGKILL)
    kill(pid, SIGKILL)
}

/// Writing to a teacher that has died must report EPIPE, not kill Pare.
private let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); () }()

private func writeAll(_ lines: [String], to fd: Int32) {
    var buffer: [UInt8] = []
    func flush() -> Bool {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, buffer.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
        return true
    }
    for line in lines {
        buffer += Array(line.utf8)
        if buffer.count >= 1 << 16, !flush() { return }
    }
    _ = flush()
}

/// Collects a pipe's lines on a background thread; the reader waits for them with a timeout.
private final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private let signal = DispatchSemaphore(value: 0)
    private let exitSignal = DispatchSemaphore(value: 0)
    private var lines: [String] = []
    private var head = 0
    private var partial: [UInt8] = []
    private var eof = false
    private var exited = false
    private(set) var lastLine: String?

    func readAll(from fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            lock.withLock {
                partial += chunk[0..<n]
                while let newline = partial.firstIndex(of: 10) {
                    let line = String(decoding: partial[..<newline], as: UTF8.self)
                    lines.append(line)
                    if !line.allSatisfy(\.isWhitespace) { lastLine = line }
                    partial.removeSubrange(...newline)
                }
            }
            signal.signal()
        }
        lock.withLock {
            if !partial.isEmpty {
                let line = String(decoding: partial, as: UTF8.self)
                lines.append(line)
                if !line.allSatisfy(\.isWhitespace) { lastLine = line }
                partial = []
            }
            eof = true
        }
        signal.signal()
    }

    func markExited() {
        lock.withLock { exited = true }
        exitSignal.signal()
        signal.signal()
    }

    /// Stdout reached end of file, or the process is gone and nothing more arrived shortly after.
    var isFinished: Bool { lock.withLock { eof || exited } }

    /// The next line, or nil on timeout / end of output.
    func next(timeout: Double) -> String? {
        let deadline = DispatchTime.now() + timeout
        var exitSeen: DispatchTime?
        while true {
            let state: (String?, Bool, Bool) = lock.withLock {
                if head < lines.count { head += 1; return (lines[head - 1], eof, exited) }
                return (nil, eof, exited)
            }
            if let line = state.0 { return line }
            if state.1 { return nil }
            if state.2 {
                // The process exited; let the reader drain what it wrote, briefly.
                let now = DispatchTime.now()
                if exitSeen == nil { exitSeen = now }
                if now > exitSeen! + 1 { return nil }
                _ = signal.wait(timeout: now + 0.05)
                continue
            }
            if signal.wait(timeout: deadline) == .timedOut {
                // One last look (a line may have arrived with the timeout).
                return lock.withLock { () -> String? in
                    guard head < lines.count else { return nil }
                    head += 1
                    return lines[head - 1]
                }
            }
        }
    }

    /// Waits for the process to exit; true if it did.
    func waitExit(timeout: Double) -> Bool {
        if lock.withLock({ exited }) { return true }
        return exitSignal.wait(timeout: .now() + timeout) == .success
    }
}
