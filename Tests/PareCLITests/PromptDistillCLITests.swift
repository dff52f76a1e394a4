import Foundation
import GRDB
import PareTestSupport
import Testing

/// `pare record --method distill --set mode=instruction|icl|cot --train prompts: --test prompts:`
/// on the tiny Llama: a run recorded end to end with its task metrics, a rerun asking the
/// teacher nothing, and bad input one sentence each with the database untouched.
@Suite(.serialized) struct PromptDistillCLITests {
    let bad = BadInputTests()

    static let teacherScript = """
    import json, sys
    for line in sys.stdin:
        q = json.loads(line)
        text = " positive" if "good" in q["prompt"] else " negative"
        print(json.dumps({"id": q["id"], "text": text}), flush=True)
    """

    struct Fixture {
        let cli: CLI
        let llama: String, train: String, test: String, teacher: String
    }

    static func fixture(_ cli: CLI, positions: Int = 64) throws -> Fixture {
        let folder = cli.directory.appending(path: "models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try TinyTransformers.llama(in: folder, positions: positions).path
        let train = cli.path("train.jsonl"), test = cli.path("test.jsonl"), teacher = cli.path("teacher.py")
        try Data("""
        {"prompt": "a good dog:", "label": "positive"}
        {"prompt": "a bad cat:", "label": "negative"}
        {"prompt": "so good:", "label": "positive"}
        {"prompt": "so bad:", "label": "negative"}

        """.utf8).write(to: URL(fileURLWithPath: train))
        try Data("""
        {"prompt": "good fox:", "label": "positive", "choices": ["positive", "negative"]}
        {"prompt": "bad fox:", "label": "negative", "choices": ["positive", "negative"]}

        """.utf8).write(to: URL(fileURLWithPath: test))
        try Data(teacherScript.utf8).write(to: URL(fileURLWithPath: teacher))
        return Fixture(cli: cli, llama: llama, train: train, test: test, teacher: teacher)
    }

    static func arguments(_ f: Fixture, _ settings: [String], train: String? = nil, test: String? = nil) -> [String] {
        var args = ["record", "--model", f.llama, "--train", "prompts:\(train ?? f.train)", "--test", "prompts:\(test ?? f.test)",
                    "--method", "distill", "--no-timing"]
        for s in settings { args += ["--set", s] }
        return args
    }

    /// The run id `pare record` printed (its last line).
    static func recorded(_ result: CLI.Result) -> Int64? {
        result.stdout.split(separator: "\n").last.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func param(_ cli: CLI, run: Int64, _ key: String) throws -> String? {
        try DatabaseQueue(path: cli.db).read { db in
            try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM params WHERE run_id = ? AND key = ?", arguments: [run, key])
        }
    }

    static func metrics(_ cli: CLI, run: Int64) throws -> [String: Double] {
        let queue = try DatabaseQueue(path: cli.db)
        return try queue.read { db in
            var out: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM metrics WHERE run_id = ? AND step = 0", arguments: [run]) {
                out[row["key"]] = row["value"]
            }
            return out
        }
    }

    @Test func anInstructionDistillationIsRecordedWithItsTaskMetricsAndARerunAsksNothing() throws {
        let f = try Self.fixture(CLI())
        let settings = ["student=layers:1", "mode=instruction", "teacher_cmd=python3 \(f.teacher)", "steps=30", "lr=0.01",
                        "batch=2", "max_new_tokens=4"]
        let first = try f.cli.run(Self.arguments(f, settings))
        #expect(first.status == 0, "\(first.stderr)")
        // Every training prompt is labelled, so the student trained on the labels alone is
        // recorded first (run 1), the distillation beside it (run 2).
        #expect(Self.recorded(first) == 2, "\(first.stdout)")
        let m = try Self.metrics(f.cli, run: 2)
        #expect(m["teacher_queries"] == 6, "\(m)")
        for key in ["task_accuracy", "teacher_agreement", "teacher_response_nll", "params_total", "size_bytes"] {
            #expect(m[key] != nil, "\(key) in \(m)")
        }
        #expect(m["task_accuracy"]! >= 0 && m["task_accuracy"]! <= 1)
        let b = try Self.metrics(f.cli, run: 1)
        #expect(b["task_accuracy"] != nil && b["teacher_agreement"] == nil && b["teacher_queries"] == 0, "\(b)")
        #expect(try Self.param(f.cli, run: 2, "baseline_run") == "1")
        #expect(try Self.param(f.cli, run: 1, "targets") == "labels" && Self.param(f.cli, run: 1, "teacher_cmd") == nil)
        #expect(m["accuracy_gain_over_baseline"] == m["task_accuracy"]! - b["task_accuracy"]!, "\(m)")
        let shown = try f.cli.run(["show", "2"])
        #expect(shown.stdout.contains("black-box distillation") && shown.stdout.contains("prompts"), "\(shown.stdout)")
        #expect(try f.cli.run(["show", "1"]).stdout.contains("own labels"))
        let again = try f.cli.run(Self.arguments(f, settings))
        #expect(again.status == 0, "\(again.stderr)")
        // The baseline is reused; the teacher is asked nothing.
        #expect(Self.recorded(again) == 3, "\(again.stdout)")
        #expect(try Self.param(f.cli, run: 3, "baseline_run") == "1")
        let n = try Self.metrics(f.cli, run: 3)
        #expect(n["teacher_queries"] == 0, "\(n)")
        #expect(n["task_accuracy"] == m["task_accuracy"])
    }

    @Test(arguments: ["icl", "cot", "generate"])
    func theOtherBlackBoxModesRecordToo(_ mode: String) throws {
        let f = try Self.fixture(CLI(), positions: mode == "cot" ? 128 : 64)
        var settings = ["student=layers:1", "mode=\(mode == "generate" ? "instruction" : mode)", "steps=2", "max_new_tokens=3"]
        if mode != "generate" { settings.append("teacher_cmd=python3 \(f.teacher)") }
        if mode == "icl" { settings.append("shots=1") }
        let result = try f.cli.run(Self.arguments(f, settings))
        #expect(result.status == 0, "\(result.stderr)")
        let m = try Self.metrics(f.cli, run: try #require(Self.recorded(result)))
        #expect(m["teacher_agreement"] != nil && m["teacher_queries"] == Double(mode == "icl" ? 6 : 6), "\(m)")
    }

    /// Unlabelled training prompts: nothing to train a baseline on, so the distillation alone is
    /// recorded; asking for that baseline by hand is one sentence.
    @Test func unlabelledPromptsRecordNoBaseline() throws {
        let f = try Self.fixture(CLI())
        let train = f.cli.path("unlabelled.jsonl")
        try Data("{\"prompt\": \"a good dog:\"}\n{\"prompt\": \"a bad cat:\", \"label\": \"negative\"}\n".utf8)
            .write(to: URL(fileURLWithPath: train))
        let settings = ["student=layers:1", "mode=instruction", "teacher_cmd=python3 \(f.teacher)", "steps=2", "max_new_tokens=3"]
        let result = try f.cli.run(Self.arguments(f, settings, train: train))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.recorded(result) == 1, "\(result.stdout)")
        #expect(try Self.param(f.cli, run: 1, "baseline_run") == nil)
        let alone = try f.cli.run(Self.arguments(f, ["student=layers:1", "mode=instruction", "role=baseline", "steps=1"], train: train))
        #expect(alone.status == 1 && alone.stderr.contains("prompt 1 of") && alone.stderr.contains("no \"label\""), "\(alone.stderr)")
    }

    @Test func badBlackBoxInputIsOneSentenceAndLeavesTheDatabase() throws {
        let cli = try BadInputTests.prepared()
        let f = try Self.fixture(cli)
        func script(_ name: String, _ text: String) throws -> String {
            let path = cli.path(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        func rejected(_ arguments: [String], _ words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            try bad.expectRejected(cli, arguments, mentioning: words, sourceLocation: sourceLocation)
            #expect(try cli.run(arguments).status == 1, sourceLocation: sourceLocation)
        }
        let base = ["student=layers:1", "mode=instruction", "steps=1"]
        let notJSON = try script("bad.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": 5}\n")
        try rejected(Self.arguments(f, base, train: notJSON), ["bad.jsonl", "line 2", "prompt"])
        try rejected(Self.arguments(f, base, test: try script("nolabel.jsonl", "{\"text\": \"x\"}\n")), ["nolabel.jsonl", "line 1", "no \"prompt\""])
        let crash = try script("crash.py", "import sys\nsys.stdin.readline()\nsys.exit(3)\n")
        try rejected(Self.arguments(f, base + ["teacher_cmd=python3 \(crash)"]), ["exited with status 3"])
        let malformed = try script("malformed.py", "import sys\nfor line in sys.stdin:\n    print('oops', flush=True)\n")
        try rejected(Self.arguments(f, base + ["teacher_cmd=python3 \(malformed)"]), ["line 1", "not a JSON object"])
        let wrongID = try script("wrongid.py", "import json, sys\nfor line in sys.stdin:\n    q = json.loads(line)\n    print(json.dumps({'id': q['id'] + 7, 'text': 'x'}), flush=True)\n")
        try rejected(Self.arguments(f, base + ["teacher_cmd=python3 \(wrongID)"]), ["line 1", "id 7"])
        let hang = try script("hang.py", "import time\ntime.sleep(60)\n")
        try rejected(Self.arguments(f, base + ["teacher_cmd=python3 \(hang)", "teacher_timeout=0.5"]), ["no answer", "line 1"])
        try rejected(Self.arguments(f, base + ["teacher_cmd=\(f.train)"]), ["not executable"])
        let long = try script("long.py", "import json, sys\nfor line in sys.stdin:\n    q = json.loads(line)\n    print(json.dumps({'id': q['id'], 'text': ' the quick brown fox' * 40}), flush=True)\n")
        try rejected(Self.arguments(f, base + ["teacher_cmd=python3 \(long)"]), ["does not fit", "context"])
        try rejected(Self.arguments(f, ["student=layers:1", "mode=icl", "shots=4"]), ["shots=4", "more prompts"])
        try rejected(Self.arguments(f, ["student=layers:1", "steps=1"]), ["--train text:", "mode=instruction"])
        try rejected(Self.arguments(f, base + ["role=baseline", "teacher_cmd=python3 \(f.teacher)"]), ["role=baseline", "teacher_cmd"])
        // A student with another vocabulary: black-box reads the prompts with the base model's tokenizer.
        let other = try TinyTransformers.llama(in: cli.directory.appending(path: "wide"), vocabulary: 600).path
        try rejected(Self.arguments(f, ["student_model=\(other)", "mode=instruction", "teacher_cmd=python3 \(f.teacher)", "steps=1"]),
                     ["vocabulary of 600", "black-box", "base model's tokenizer"])
    }
}
