import Foundation
import Testing
@testable import PareCompress

/// A python text teacher: "positive" when the prompt says "good", else "negative".
let pythonTextTeacher = """
import json, sys
for line in sys.stdin:
    q = json.loads(line)
    text = " positive" if "good" in q["prompt"] else " negative"
    print(json.dumps({"id": q["id"], "text": text}), flush=True)
"""

/// The text-teacher protocol (`{"id", "prompt"}` in, `{"id", "text"}` out) against small python
/// teachers written here: answers, the cache, and each way a teacher can fail, one sentence each.
@Suite(.serialized) struct TextTeacherTests {
    func teacher(_ script: String, timeout: Double = 10) throws -> (TextTeacher, TeacherScripts) {
        let scripts = try TeacherScripts()
        let path = try scripts.write("teacher.py", script)
        return (try TextTeacher(command: "python3 \(path)", timeout: timeout), scripts)
    }

    @Test func aTeacherAnswersEveryPromptInOrderAndTheCacheServesARerun() throws {
        let (teacher, scripts) = try teacher(pythonTextTeacher)
        defer { scripts.remove() }
        let cache = MemoryTeacherCache()
        let prompts = ["a good film", "a bad film", "a good film", "quotes \" and \\ and\nnewlines é"]
        let first = try teacher.answers(for: prompts, cache: cache)
        #expect(first.texts == [" positive", " negative", " positive", " negative"])
        #expect(first.queried == 3, "a repeated prompt is asked once")
        #expect(cache.count == 0, "fresh answers are the caller's to cache")
        cache.put(first.fresh)
        let second = try teacher.answers(for: prompts, cache: cache)
        #expect(second.texts == first.texts && second.queried == 0 && second.fresh.isEmpty)
        #expect(TeacherAnswer.text("a \"b\"\n").json == #"{"text": "a \"b\"\n"}"#)
    }

    @Test(arguments: [
        ("import sys\nsys.stdin.readline()\nsys.exit(3)\n", "exited with status 3"),
        ("import json, sys\nfor line in sys.stdin:\n    print('oops', flush=True)\n", "line 1 (prompt id 0) is not a JSON object"),
        ("import json, sys\nfor line in sys.stdin:\n    q = json.loads(line)\n    print(json.dumps({'id': q['id'] + 1, 'text': 'x'}), flush=True)\n", "line 1 has id 1 but id 0 was expected"),
        ("import json, sys\nfor line in sys.stdin:\n    q = json.loads(line)\n    print(json.dumps({'id': q['id'], 'label': 1}), flush=True)\n", "line 1 (id 0) has no \"text\""),
        ("import json, sys\nfor line in sys.stdin:\n    q = json.loads(line)\n    print(json.dumps({'id': q['id'], 'text': 5}), flush=True)\n", "\"text\" is not a string"),
    ])
    func aFailingTeacherIsOneSentenceNamingTheLine(_ script: String, _ expected: String) throws {
        let (teacher, scripts) = try teacher(script)
        defer { scripts.remove() }
        do {
            _ = try teacher.answers(for: ["one", "two"], cache: nil)
            Issue.record("the teacher's failure was not reported")
        } catch let error as TeacherError {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func aHangingTeacherIsStoppedAfterTheTimeout() throws {
        let (teacher, scripts) = try teacher("import time\ntime.sleep(60)\n", timeout: 0.5)
        defer { scripts.remove() }
        do {
            _ = try teacher.answers(for: ["one"], cache: nil)
            Issue.record("the hang was not reported")
        } catch let error as TeacherError {
            #expect(error.kind == .timedOut && error.description.contains("line 1"), "\(error.description)")
        }
    }
}
