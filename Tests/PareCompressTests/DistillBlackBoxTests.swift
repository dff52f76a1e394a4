import Foundation
import Testing
import PareTensor
@testable import PareCompress

/// Writes small teacher programs to a fresh temporary directory.
struct TeacherScripts {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pare-teacher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name`, executable unless told otherwise; returns its path.
    func write(_ name: String, _ text: String, executable: Bool = true) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        return url.path
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A python teacher: logits = [Σx, −Σx, x0] for 3 classes, answering as it reads.
let pythonLogitsTeacher = """
import json, sys
for line in sys.stdin:
    q = json.loads(line)
    s = sum(q["x"])
    print(json.dumps({"id": q["id"], "logits": [s, -s, q["x"][0]]}), flush=True)
"""

func teacherInputs(_ rows: Int, _ width: Int, seed: UInt64 = 5) -> Tensor {
    Tensor(shape: [rows, width], data: lrRandom(rows * width, seed: seed))
}

@Suite(.serialized) struct DistillBlackBoxTests {
    @Test func pythonTeacherAnswersLogits() throws {
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let path = try scripts.write("teacher.py", pythonLogitsTeacher, executable: false)
        let teacher = try BlackBoxTeacher(command: "python3 '\(path)'", classes: 3, timeout: 20)
        let x = teacherInputs(5, 4)
        let outputs = try teacher.outputs(for: x)
        guard case .logits(let logits) = outputs else { Issue.record("expected logits, got \(outputs)"); return }
        #expect(logits.shape == [5, 3])
        for row in 0..<5 {
            let s = (0..<4).reduce(Float(0)) { $0 + x[row, $1] }
            #expect(abs(logits[row, 0] - s) < 1e-5)
            #expect(abs(logits[row, 1] + s) < 1e-5)
            #expect(logits[row, 2] == x[row, 0])
        }
    }

    @Test func shellTeacherAnswersLabelsAndProbabilities() throws {
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let labels = try scripts.write("labels.sh", """
            #!/bin/sh
            while read -r line; do
              id=$(echo "$line" | sed 's/.*"id": *\\([0-9]*\\).*/\\1/')
              echo "{\\"id\\": $id, \\"label\\": 1}"
            done
            """)
        let fromLabels = try BlackBoxTeacher(command: labels, classes: 3).outputs(for: teacherInputs(4, 2))
        #expect(fromLabels == .labels([1, 1, 1, 1]))

        let probs = try scripts.write("probs.sh", """
            #!/bin/sh
            while read -r line; do
              id=$(echo "$line" | sed 's/.*"id": *\\([0-9]*\\).*/\\1/')
              echo "{\\"id\\": $id, \\"probs\\": [0.25, 0.5, 0.25]}"
            done
            """)
        let fromProbs = try BlackBoxTeacher(command: probs, classes: 3).outputs(for: teacherInputs(2, 2))
        #expect(fromProbs == .probabilities(Tensor(shape: [2, 3], data: [0.25, 0.5, 0.25, 0.25, 0.5, 0.25])))
    }

    @Test func manyInputsDoNotDeadlock() throws {
        // 3000 lines of 64 numbers in, 3000 out, the teacher answering while Pare is still writing.
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let path = try scripts.write("teacher.py", pythonLogitsTeacher, executable: false)
        let answers = try BlackBoxTeacher(command: "python3 \(path)", classes: 3, timeout: 60).answers(for: teacherInputs(3000, 64))
        #expect(answers.count == 3000)
    }

    @Test func cacheAvoidsAskingAgain() throws {
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let good = try scripts.write("teacher.py", pythonLogitsTeacher, executable: false)
        let crash = try scripts.write("crash.sh", "#!/bin/sh\nexit 9\n")
        let cache = MemoryTeacherCache()
        let x = teacherInputs(6, 3)
        let first = try BlackBoxTeacher(command: "python3 \(good)", classes: 3, cache: cache).answers(for: x)
        #expect(cache.count == 6)
        #expect(cache.get(BlackBoxTeacher.cacheKey(for: x.data[0..<3])) == first[0])
        // Every row is cached, so the (broken) command never runs.
        let second = try BlackBoxTeacher(command: crash, classes: 3, cache: cache).answers(for: x)
        #expect(second == first)
        // A new row is not cached: the command runs and its crash is reported.
        let more = teacherInputs(7, 3)
        #expect(throws: TeacherError.self) { try BlackBoxTeacher(command: crash, classes: 3, cache: cache).answers(for: more) }
    }

    func failure(_ script: String, name: String = "teacher.sh", classes: Int = 3, timeout: Double = 10, rows: Int = 4) throws -> TeacherError {
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let path = try scripts.write(name, script, executable: !name.hasSuffix(".py"))
        let command = name.hasSuffix(".py") ? "python3 \(path)" : path
        do {
            _ = try BlackBoxTeacher(command: command, classes: classes, timeout: timeout).answers(for: teacherInputs(rows, 3))
        } catch let error as TeacherError {
            return error
        }
        Issue.record("the teacher did not fail")
        return TeacherError(.badValue, "")
    }

    @Test func crashingTeacher() throws {
        let error = try failure("""
            import json, sys
            for n, line in enumerate(sys.stdin):
                if n == 2:
                    print("loading weights failed: bad shape", file=sys.stderr)
                    sys.exit(3)
                q = json.loads(line)
                print(json.dumps({"id": q["id"], "logits": [0, 1, 2]}), flush=True)
            """, name: "crash.py")
        #expect(error.kind == .crashed)
        #expect(error.description.contains("status 3"))
        #expect(error.description.contains("2 of 4"))
        #expect(error.description.contains("loading weights failed: bad shape"))
    }

    @Test func teacherKilledBySignal() throws {
        let error = try failure("#!/bin/sh\nkill -9 $$\n")
        #expect(error.kind == .crashed)
        #expect(error.description.contains("signal 9"))
    }

    @Test func malformedJSONNamesTheLine() throws {
        let error = try failure("""
            import json, sys
            for n, line in enumerate(sys.stdin):
                q = json.loads(line)
                print("{oops" if n == 1 else json.dumps({"id": q["id"], "logits": [0, 1, 2]}), flush=True)
            """, name: "bad.py")
        #expect(error.kind == .malformed)
        #expect(error.description.contains("line 2"))
    }

    @Test func hangingTeacherTimesOut() throws {
        let start = Date()
        let error = try failure("#!/bin/sh\nsleep 30\n", timeout: 0.5)
        #expect(error.kind == .timedOut)
        #expect(error.description.contains("id 0"))
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func wrongClassCount() throws {
        let error = try failure("""
            import json, sys
            for line in sys.stdin:
                q = json.loads(line)
                print(json.dumps({"id": q["id"], "logits": [0.5, 1.5]}), flush=True)
            """, name: "two.py")
        #expect(error.kind == .wrongClassCount)
        #expect(error.description.contains("line 1") && error.description.contains("2 logits") && error.description.contains("3 classes"))
    }

    @Test func idMismatchAndMissingField() throws {
        let mismatch = try failure("""
            import json, sys
            for line in sys.stdin:
                q = json.loads(line)
                print(json.dumps({"id": q["id"] + 1, "label": 0}), flush=True)
            """, name: "ids.py")
        #expect(mismatch.kind == .idMismatch)
        #expect(mismatch.description.contains("id 1 but id 0"))
        let missing = try failure("""
            import json, sys
            for line in sys.stdin:
                q = json.loads(line)
                print(json.dumps({"id": q["id"], "score": 1}), flush=True)
            """, name: "missing.py")
        #expect(missing.kind == .missingField)
        #expect(missing.description.contains("line 1"))
    }

    @Test func commandNotFoundOrNotExecutable() throws {
        #expect(throws: TeacherError(.notFound, "teacher program 'pare-no-such-teacher-xyz' was not found on PATH.")) {
            try BlackBoxTeacher(command: "pare-no-such-teacher-xyz --x", classes: 3)
        }
        let scripts = try TeacherScripts()
        defer { scripts.remove() }
        let path = try scripts.write("plain.sh", "#!/bin/sh\n", executable: false)
        let error = #expect(throws: TeacherError.self) { try BlackBoxTeacher(command: path, classes: 3) }
        #expect(error?.kind == .notExecutable)
        #expect(throws: TeacherError.self) { try BlackBoxTeacher(command: "   ", classes: 3) }
        #expect(throws: TeacherError.self) { try BlackBoxTeacher(command: "python3 'unterminated", classes: 3) }
    }

    @Test func commandSplitting() throws {
        #expect(try BlackBoxTeacher.split(#"python3 'my teacher.py' --name "a b" c\ d "x\"y" ''"#)
                == ["python3", "my teacher.py", "--name", "a b", "c d", "x\"y", ""])
        #expect(try BlackBoxTeacher.split("  a\tb  ") == ["a", "b"])
    }

    @Test func answersFeedTheLoss() throws {
        // Logits from a black-box teacher give the same loss as the teacher's logits directly.
        let logits = Tensor(shape: [2, 3], data: [2, 1, 0, 0, 0, 3])
        let outputs = BlackBoxTeacher.consolidate([.logits([2, 1, 0]), .logits([0, 0, 3])], classes: 3)
        #expect(outputs == .logits(logits))
        let mixed = BlackBoxTeacher.consolidate([.label(2), .probabilities([0.5, 0.5, 0])], classes: 3)
        #expect(mixed == .probabilities(Tensor(shape: [2, 3], data: [0, 0, 1, 0.5, 0.5, 0])))
    }
}
