import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `pare ui` as a user starts it: the sentence and exit status of each way it cannot start, and
/// a served page, then Ctrl-C.
@Suite struct UICLITests {
    @Test func aMissingDatabaseOrARemoteHostWithoutTheFlagIsRefused() throws {
        let cli = CLI()
        let missing = try cli.run(["ui"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: no database at \(cli.db); record a run first\n")
        #expect(!FileManager.default.fileExists(atPath: cli.db))
        let remote = try cli.run(["ui", "--host", "0.0.0.0"])
        #expect(remote.status == 64)
        #expect(remote.stderr.hasPrefix("Error: --host 0.0.0.0 is not a loopback address; add --allow-remote"))
    }

    @Test func aPortInUseIsOneSentenceAndTheDatabaseIsUntouched() throws {
        let cli = CLI()
        _ = try cli.record("none")
        let before = try cli.fingerprint()
        // Hold a port, as another server would.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try cli.run(["ui", "--port", String(port)])
        #expect(result.status == 1)
        #expect(result.stderr == "error: port \(port) on 127.0.0.1 is in use (another server is there); pick another with --port\n")
        #expect(try cli.fingerprint() == before)
    }

    @Test func servesPagesUntilInterrupted() async throws {
        let cli = CLI()
        _ = try cli.record("none", name: "served")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["ui", "--port", "0", "--host", "0.0.0.0", "--allow-remote", "--db", cli.db]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first line says where it listens: "… at http://0.0.0.0:PORT/ …".
        var line = ""
        while !line.contains("\n"), process.isRunning {
            line += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        #expect(line.hasPrefix("pare ui: serving \(cli.db) (read-only) at http://0.0.0.0:\(port)/"))
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/api/runs")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("\"name\":\"served\""))
        // The run page's model download goes through the CLI's exporter: the same bytes as
        // `pare export-model` writes, the database untouched.
        let before = try cli.fingerprint()
        let (model, modelResponse) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/run/1/model.safetensors")!)
        #expect((modelResponse as? HTTPURLResponse)?.statusCode == 200)
        #expect((modelResponse as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Disposition")?.contains("run1.safetensors") == true)
        let exported = cli.path("exported.safetensors")
        #expect(try cli.run(["export-model", "1", "--out", exported]).status == 0)
        #expect(model == (try Data(contentsOf: URL(fileURLWithPath: exported))))
        #expect(try cli.fingerprint() == before)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let warning = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(warning.hasPrefix("warning: serving \(cli.db) on 0.0.0.0, not loopback: anyone who reaches this address can read the record\n"))
    }
}
