import Foundation
import PareCompress
import PareNN
import PareStore
import PareTensor
import Testing
@testable import Pare

/// Recording distillations: the baseline beside each, black-box teachers (cache, failures).
@Suite(.serialized) struct DistillRecordingTests {
    let folder = Fixtures.scratch()
    var db: String { folder.appending(path: "pare.sqlite").path }

    func request(_ settings: [String: String], name: String? = nil) -> RecordRequest {
        RecordRequest(modelPath: Fixtures.teacher, trainPath: Fixtures.digitsTrain, testPath: Fixtures.digitsTest,
                      method: "distill", settings: ["student": "mlp:64,16,10", "epochs": "2"].merging(settings) { $1 },
                      name: name, seed: 1, measureSpeed: false)
    }

    func record(_ settings: [String: String], store: Store, name: String? = nil) throws -> Int64 {
        try Recorder.record(try Recorder.prepare(request(settings, name: name)), store: store)
    }

    func value(_ table: ResultTable, _ key: String) -> TableValue? {
        table.rows.first { $0.first == .text(key) }?[1]
    }

    /// A python teacher (logits: 4·x[0…9]) that appends a line to `count` every time it runs.
    func script(_ name: String, body: String) throws -> String {
        let path = folder.appending(path: name).path
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var goodTeacher: String {
        """
        import json, sys
        open(sys.argv[1], "a").write("run\\n")
        for line in sys.stdin:
            q = json.loads(line)
            print(json.dumps({"id": q["id"], "logits": [4 * v for v in q["x"][:10]]}), flush=True)
        """
    }

    @Test func baselineIsRecordedBesideAndShared() throws {
        let store = try Store(path: db, create: true)
        let kd = try record([:], store: store, name: "kd")
        let runs = try store.runs()
        #expect(runs.rows.count == 2)
        #expect(runs.column("name") == [.text("kd"), .text("kd [baseline]")])
        let detail = try store.show(run: kd)
        let baselineID = try #require(value(detail.params, "baseline_run"))
        #expect(baselineID == .int(kd - 1))
        let gain = try #require(value(detail.metrics, "accuracy_gain_over_baseline")?.doubleValue)
        let mine = try store.finalMetrics(run: kd)["accuracy"]!, theirs = try store.finalMetrics(run: kd - 1)["accuracy"]!
        #expect(abs(gain - (mine - theirs)) < 1e-12)
        #expect(detail.notes.contains { $0.hasPrefix("baseline: run \(kd - 1)") })
        let baseline = try store.show(run: kd - 1)
        #expect(value(baseline.params, "role") == .text("baseline"))
        #expect(value(baseline.params, "alpha") == .double(0))
        #expect(value(baseline.params, "baseline_run") == nil)
        #expect(baseline.metrics.rows.contains { $0.first == .text("train_loss") })

        // Another temperature: the same student alone is reused, not trained again.
        let hotter = try record(["temperature": "8"], store: store)
        #expect(try store.runs().rows.count == 3)
        #expect(value(try store.show(run: hotter).params, "baseline_run") == .int(kd - 1))
        // Another seed is another baseline.
        var seeded = request([:])
        seeded.seed = 2
        let other = try Recorder.record(try Recorder.prepare(seeded), store: store)
        #expect(try store.runs().rows.count == 5)
        #expect(value(try store.show(run: other).params, "baseline_run") == .int(other - 1))
    }

    @Test func blackBoxAnswersAreCachedInTheDatabase() throws {
        let store = try Store(path: db, create: true)
        let count = folder.appending(path: "count.txt").path
        let teacher = try script("teacher.py", body: goodTeacher)
        let command = "python3 \(teacher) \(count)"
        let first = try record(["teacher_cmd": command, "epochs": "1"], store: store)
        let rows = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTrain)).rowCount
        #expect(try store.finalMetrics(run: first)["teacher_queries"] == Double(rows))
        #expect(try String(contentsOfFile: count, encoding: .utf8) == "run\n")
        #expect(try store.teacherAnswers(teacher: command, inputHashes: [BlackBoxTeacher.cacheKey(for: [0, 1][...])]).isEmpty)

        // The rerun (another alpha, so another run) takes every answer from the database.
        let second = try record(["teacher_cmd": command, "epochs": "1", "alpha": "0.5"], store: store)
        #expect(try store.finalMetrics(run: second)["teacher_queries"] == 0)
        #expect(try String(contentsOfFile: count, encoding: .utf8) == "run\n")
        #expect(try store.show(run: second).notes.contains { $0.contains("0 of \(rows) inputs asked") })
        // The same answers as asked: the runs trained on identical targets.
        let cached = StoreTeacherCache(store: store, teacher: command)
        let x = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTrain)).features
        let key = BlackBoxTeacher.cacheKey(for: x.data[0..<64])
        guard case .logits(let logits) = try #require(cached.get(key)) else { Issue.record("not logits"); return }
        #expect(logits == x.data[0..<10].map { 4 * $0 })
    }

    @Test(arguments: [
        ("crash.py", "import sys\nfor i, line in enumerate(sys.stdin):\n    if i == 2: sys.exit(3)\n    print('{\"id\": %d, \"label\": 1}' % i, flush=True)\n",
         ["exited with status 3", "after answering 2 of"]),
        ("malformed.py", "import sys\nfor line in sys.stdin:\n    print('this is not json', flush=True)\n",
         ["line 1", "not a JSON object"]),
        ("classes.py", "import json, sys\nfor line in sys.stdin:\n    print(json.dumps({'id': json.loads(line)['id'], 'logits': [1, 2, 3]}), flush=True)\n",
         ["line 1", "3 logits", "10 classes"]),
    ])
    func failingTeacherFailsTheRun(file: String, body: String, words: [String]) throws {
        let store = try Store(path: db, create: true)
        let teacher = try script(file, body: body)
        let prepared = try Recorder.prepare(request(["teacher_cmd": "python3 \(teacher)"]))
        #expect(throws: TeacherError.self) { try Recorder.record(prepared, store: store) }
        let runs = try store.runs()
        // The baseline (student alone) finished; the distillation is recorded as failed.
        #expect(runs.column("status") == [.text("failed"), .text("finished")])
        let failed = try store.show(run: 2)
        let error = try #require(failed.error)
        for word in words { #expect(error.contains(word), "'\(word)' in: \(error)") }
        #expect(failed.metrics.rows.isEmpty)
    }

    @Test func unexecutableTeacherIsRejectedBeforeTheDatabase() throws {
        let plain = try script("plain.txt", body: "not a program")
        #expect(throws: ConfigError.self) { try Recorder.prepare(request(["teacher_cmd": plain])) }
        #expect(throws: (any Error).self) { try Recorder.prepare(request(["teachers": "missing.safetensors"])) }
        #expect(throws: ConfigError.self) { try Recorder.prepare(request(["student": "mlp:60,16,10"])) }
        var noTrain = request([:])
        noTrain.trainPath = nil
        #expect(throws: ConfigError.self) { try Recorder.prepare(noTrain) }
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    /// IDX data specs load like CSV ones: `idx:IMAGES,LABELS[,rows=N]`.
    @Test func idxDataSpecs() throws {
        let images = folder.appending(path: "images.idx").path
        let labels = folder.appending(path: "labels.idx").path
        let pixels = (0..<(6 * 4)).map { UInt8($0 * 10) }
        try Data(IDX.encode(uint8: pixels, shape: [6, 2, 2])).write(to: URL(fileURLWithPath: images))
        try Data(IDX.encode(uint8: [0, 1, 2, 0, 1, 2], shape: [6])).write(to: URL(fileURLWithPath: labels))
        let all = try RunData.loadDataset("idx:\(images),\(labels)")
        #expect(all.rowCount == 6 && all.featureCount == 4 && all.classCount == 3)
        #expect(all.features[1, 0] == Float(40) / 255)
        let some = try RunData.loadDataset("idx:\(images),\(labels),rows=4")
        #expect(some.rowCount == 4 && some.classCount == 3 && some.labels == [0, 1, 2, 0])
        for bad in ["idx:\(images)", "idx:\(images),\(labels),rows=0", "idx:\(images),\(labels),rows=7",
                    "idx:\(images),\(labels),first=2", "idx:\(images),missing.idx"] {
            #expect(throws: (any Error).self) { try RunData.loadDataset(bad) }
        }
    }
}
