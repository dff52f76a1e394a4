import Foundation
import Testing

/// Every bad input: one clear sentence on stderr, a non-zero exit, the database unchanged.
@Suite struct BadInputTests {
    /// A database with one finished run, and the fixture files, for the bad calls to hit.
    static func prepared() throws -> CLI {
        let cli = CLI()
        _ = try cli.record("none", name: "baseline")
        return cli
    }

    func expectRejected(_ cli: CLI, _ arguments: [String], mentioning words: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try cli.fingerprint()
        let result = try cli.run(arguments)
        #expect(result.status != 0, "exit status for \(arguments)", sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.hasPrefix("error: "), "stderr: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "one line, got: \(message)", sourceLocation: sourceLocation)
        for word in words {
            #expect(message.localizedCaseInsensitiveContains(word), "'\(word)' in: \(message)", sourceLocation: sourceLocation)
        }
        #expect(try cli.fingerprint() == before, "database changed by \(arguments)", sourceLocation: sourceLocation)
    }

    func record(_ cli: CLI, model: String = CLI.fixture("teacher.safetensors"), test: String = CLI.fixture("digits_test.csv"),
                method: String = "none", _ extra: [String] = []) -> [String] {
        ["record", "--model", model, "--test", test, "--method", method, "--no-timing"] + extra
    }

    /// Writes `bytes` to a file in the test's folder.
    func file(_ cli: CLI, _ name: String, _ bytes: [UInt8]) -> String {
        let path = cli.path(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func teacherBytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("teacher.safetensors"))))
    }

    /// A safetensors file with the given header JSON and data bytes.
    func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        var h = Array(header.utf8)
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        var out = withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init)
        out += h
        out += data
        return out
    }

    @Test func corruptModelFiles() throws {
        let cli = try Self.prepared()
        let bytes = try teacherBytes()
        let truncated = file(cli, "truncated.safetensors", Array(bytes.prefix(bytes.count / 2)))
        try expectRejected(cli, record(cli, model: truncated), mentioning: ["truncated.safetensors"])
        var huge = bytes
        huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init))
        try expectRejected(cli, record(cli, model: file(cli, "huge.safetensors", huge)), mentioning: ["header"])
        try expectRejected(cli, record(cli, model: file(cli, "tiny.safetensors", [1, 2, 3])), mentioning: ["tiny.safetensors"])
        let notJSON = safetensors(header: "this is not json", data: [])
        try expectRejected(cli, record(cli, model: file(cli, "notjson.safetensors", notJSON)), mentioning: ["JSON"])
        let outOfRange = safetensors(header: #"{"fc1.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,64]}}"#, data: [UInt8](repeating: 0, count: 16))
        try expectRejected(cli, record(cli, model: file(cli, "range.safetensors", outOfRange)), mentioning: ["offset"])
        let overlap = safetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                  data: [UInt8](repeating: 0, count: 12))
        try expectRejected(cli, record(cli, model: file(cli, "overlap.safetensors", overlap)), mentioning: ["overlap"])
        let mismatch = safetensors(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        try expectRejected(cli, record(cli, model: file(cli, "mismatch.safetensors", mismatch)), mentioning: ["mismatch.safetensors"])
        let dtype = safetensors(header: #"{"a":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0])
        try expectRejected(cli, record(cli, model: file(cli, "dtype.safetensors", dtype)), mentioning: ["F8_E9"])
        try expectRejected(cli, record(cli, model: cli.path("missing.safetensors")), mentioning: ["missing.safetensors"])
    }

    @Test func invalidWeightsAndShapes() throws {
        let cli = try Self.prepared()
        let nan = safetensors(header: #"{"__metadata__":{"arch":"mlp","dims":"2,2","act":"relu"},"fc1.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#,
                              data: [0, 0, 0xC0, 0x7F] + [UInt8](repeating: 0, count: 12))
        try expectRejected(cli, record(cli, model: file(cli, "nan.safetensors", nan)), mentioning: ["NaN"])
        // Layer shapes that do not chain: fc1 is [3,2] but fc2 expects 4 inputs.
        let chain = safetensors(header: #"{"__metadata__":{"arch":"mlp","dims":"2,3,2","act":"relu"},"fc1.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"fc2.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[24,56]}}"#,
                                data: [UInt8](repeating: 0, count: 56))
        try expectRejected(cli, record(cli, model: file(cli, "chain.safetensors", chain)), mentioning: ["fc2"])
    }

    @Test func badData() throws {
        let cli = try Self.prepared()
        let narrow = file(cli, "narrow.csv", Array("label,a,b\n1,0.5,0.5\n".utf8))
        try expectRejected(cli, record(cli, test: narrow), mentioning: ["2 features", "64"])
        let header = "label," + (0..<64).map { "p\($0)" }.joined(separator: ",")
        let row = "1," + Array(repeating: "0", count: 63).joined(separator: ",") + ",abc"
        let text = file(cli, "text.csv", Array((header + "\n" + row + "\n").utf8))
        try expectRejected(cli, record(cli, test: text), mentioning: ["abc"])
        let noLabel = file(cli, "nolabel.csv", Array("a,b\n1,2\n".utf8))
        try expectRejected(cli, record(cli, test: noLabel), mentioning: ["label"])
    }

    @Test func badMethodsAndSettings() throws {
        let cli = try Self.prepared()
        try expectRejected(cli, record(cli, method: "prune-magic"), mentioning: ["prune-magic", "prune-magnitude"])
        try expectRejected(cli, record(cli, method: "prune-magnitude", ["--set", "amount=1.5"]), mentioning: ["amount"])
        try expectRejected(cli, record(cli, method: "prune-magnitude", ["--set", "amount=1"]), mentioning: ["amount"])
        try expectRejected(cli, record(cli, method: "prune-magnitude", ["--set", "amount=-0.1"]), mentioning: ["amount"])
        try expectRejected(cli, record(cli, method: "prune-magnitude", ["--set", "amout=0.5"]), mentioning: ["amout"])
        try expectRejected(cli, record(cli, method: "prune-magnitude", ["--set", "amount"]), mentioning: ["key=value"])
    }

    @Test func badQueries() throws {
        let cli = try Self.prepared()
        try expectRejected(cli, ["leaderboard", "--metric", "acc"], mentioning: ["acc", "accuracy"])
        try expectRejected(cli, ["leaderboard", "--metric", "accuracy", "--where", "metrics.accuracy >"], mentioning: ["column"])
        try expectRejected(cli, ["leaderboard", "--metric", "accuracy", "--where", "'; DROP TABLE runs; --"], mentioning: [])
        try expectRejected(cli, ["runs", "--where", "params.method = 'x' or 1=1; DROP TABLE runs"], mentioning: [])
        try expectRejected(cli, ["show", "999"], mentioning: ["999"])
        try expectRejected(cli, ["export-model", "999", "--out", cli.path("x.safetensors")], mentioning: ["999"])
        #expect(!FileManager.default.fileExists(atPath: cli.path("x.safetensors")))
    }

    @Test func injectionInAValueIsInert() throws {
        let cli = try Self.prepared()
        let before = try cli.fingerprint()
        let result = try cli.run(["runs", "--where", "run.name = 'x''; DROP TABLE runs; --'"])
        #expect(result.status == 0)
        #expect(try cli.fingerprint() == before)
    }

    @Test func notADatabase() throws {
        let cli = CLI()
        let path = file(cli, "pare.sqlite", Array("just some text, not SQLite at all".utf8))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try cli.run(["runs"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains("SQLite"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let missing = try cli.run(["runs", "--db", cli.path("nothing-here.sqlite")], db: false)
        #expect(missing.status != 0)
        #expect(!FileManager.default.fileExists(atPath: cli.path("nothing-here.sqlite")))
    }

    @Test func badInputBeforeAnyDatabaseCreatesNone() throws {
        let cli = CLI()
        let result = try cli.run(record(cli, method: "no-such-method"))
        #expect(result.status != 0)
        #expect(!FileManager.default.fileExists(atPath: cli.db))
    }
}
