import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PareStore
import PareTensor
import Testing
@testable import PareUI

/// GETs against the app through Hummingbird's router tester; every body is kept so a test can
/// check that no response, whatever it was asked, shows SQL.
struct Client {
    let site: Site

    struct Answer {
        var status: HTTPResponse.Status
        var type: String
        var body: String
    }

    func get(_ uris: [String]) async throws -> [Answer] {
        let app = UIServer.application(site, host: "127.0.0.1", port: 0)
        return try await app.test(.router) { client in
            var answers: [Answer] = []
            for uri in uris {
                answers.append(try await client.execute(uri: uri, method: .get) { response in
                    Answer(status: response.status, type: response.headers[.contentType] ?? "", body: String(buffer: response.body))
                })
            }
            return answers
        }
    }

    func get(_ uri: String) async throws -> Answer { try await get([uri])[0] }

    /// The run ids of an /api/runs answer, in order.
    func ids(_ uri: String) async throws -> [Int64] {
        let answer = try await get(uri)
        #expect(answer.status == .ok, "\(uri): \(answer.body)")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
        return (json["runs"] as! [[String: Any]]).map { ($0["id"] as! NSNumber).int64Value }
    }
}

func sha256(_ path: String) throws -> String {
    SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
}

/// Text of Pare's own SQL (queries/*.sql and the compiled filters): a response holding it leaked
/// a statement. (User text echoed back, such as an injection attempt in an error, is not that.)
func containsSQL(_ body: String) -> Bool {
    ["json_each", "CROSS JOIN", ":filter_", "m.step", "runs.id", "x.run_id", "ORDER BY", "GROUP BY", "LIMIT :", "EXISTS ("]
        .contains { body.contains($0) }
}

@Suite struct HTTPTests {
    @Test func runsAreOrderedByIdByAMetricAndPaged() async throws {
        let client = Client(site: try Site(database: try Fixture.make()))
        #expect(try await client.ids("/api/runs") == [6, 5, 4, 3, 2, 1])
        // Smallest first; the failed run has no size and comes last.
        #expect(try await client.ids("/api/runs?sort=size_bytes") == [5, 3, 2, 4, 1, 6])
        #expect(try await client.ids("/api/runs?sort=size_bytes&order=desc") == [1, 4, 2, 3, 5, 6])
        // accuracy: higher is better, so best first; ties none.
        #expect(try await client.ids("/api/runs?sort=accuracy") == [1, 2, 3, 4, 5, 6])
        // A page across the boundary between runs with the metric and those without.
        #expect(try await client.ids("/api/runs?sort=size_bytes&offset=4&limit=2") == [1, 6])
        #expect(try await client.ids("/api/runs?offset=2&limit=2") == [4, 3])
        #expect(try await client.ids("/api/runs?offset=10") == [])
        let page = try await client.get("/?sort=size_bytes&limit=2&offset=2")
        #expect(page.status == .ok && page.type.hasPrefix("text/html"))
        #expect(page.body.contains("runs 3–4 of 6, by size_bytes"))
        #expect(page.body.contains("href=\"/?sort=size_bytes&amp;cols=accuracy%2Csize_bytes&amp;offset=4&amp;limit=2\""))
    }

    @Test func filterSelectsAndAMalformedFilterIsA400WithItsColumn() async throws {
        let client = Client(site: try Site(database: try Fixture.make()))
        #expect(try await client.ids("/api/runs?where=metrics.accuracy+%3E+0.9") == [2, 1])
        #expect(try await client.ids("/api/runs?where=params.bits+%3D+4") == [3])
        let answers = try await client.get(["/api/runs?where=metrics.accuracy+%3E", "/?where=metrics.accuracy+%3E"])
        #expect(answers[0].status == .badRequest && answers[1].status == .badRequest)
        let json = try JSONSerialization.jsonObject(with: Data(answers[0].body.utf8)) as! [String: Any]
        let error = json["error"] as! [String: Any]
        // "metrics.accuracy >" is 18 characters: the missing value is at column 19.
        #expect(error["column"] as? Int == 19)
        #expect((error["message"] as! String).hasPrefix("filter: expected a value"))
        #expect(answers[1].body.contains("<pre>metrics.accuracy &gt;\n" + String(repeating: " ", count: 18) + "^</pre>"))
        #expect(answers[1].body.contains("id=\"filter\""))  // the form comes back to fix the filter
        #expect(!answers.contains { containsSQL($0.body) })
        // Sorted ascending by size with chosen columns: the form that comes back keeps all three.
        let sorted = try await client.get(["/?where=metrics.accuracy+%3E&sort=size_bytes&order=asc&cols=accuracy,size_bytes",
                                           "/?sort=size_bytes&order=asc&cols=accuracy,size_bytes"])
        for answer in sorted {
            #expect(answer.body.contains("<input type=\"hidden\" name=\"sort\" value=\"size_bytes\">"))
            #expect(answer.body.contains("<input type=\"hidden\" name=\"order\" value=\"asc\">"))
            #expect(answer.body.contains("name=\"cols\" id=\"cols\" size=\"50\" value=\"accuracy,size_bytes\""))
        }
        #expect(sorted[0].status == .badRequest && sorted[1].status == .ok)
    }

    @Test func unknownRunsPathsAndParametersAreClearErrors() async throws {
        let client = Client(site: try Site(database: try Fixture.make()))
        let cases: [(String, HTTPResponse.Status)] = [
            ("/run/99", .notFound), ("/api/run/99", .notFound), ("/run/abc", .notFound), ("/run/-1", .notFound),
            ("/api/run/99/csv", .notFound), ("/nope", .notFound), ("/../etc/passwd", .notFound),
            ("/assets/../../etc/passwd", .notFound), ("/assets/%2e%2e/%2e%2e/etc/passwd", .notFound), ("/api/", .notFound),
            ("/compare?ids=2", .badRequest), ("/compare?ids=2,99", .notFound), ("/api/compare?ids=2,2", .badRequest),
            ("/api/runs?limit=100000", .badRequest), ("/api/runs?offset=-1", .badRequest), ("/api/runs?order=up", .badRequest),
            ("/api/runs?sort=no_such_metric", .badRequest), ("/api/pareto?x=nope&y=accuracy", .badRequest),
            ("/tradeoffs?x=nope", .badRequest), ("/tradeoffs?log_x=maybe", .badRequest),
        ]
        let answers = try await client.get(cases.map(\.0))
        for (c, a) in zip(cases, answers) {
            #expect(a.status == c.1, "\(c.0) answered \(a.status): \(a.body)")
            #expect(!containsSQL(a.body) && !a.body.contains("Fatal") && !a.body.contains(".swift:"), "\(c.0): \(a.body)")
        }
        #expect(answers[0].body.contains("no run with id 99 (the database has runs 1…6)"))
        #expect(answers[1].type.hasPrefix("application/json"))
    }

    @Test func injectionAttemptsAreOnlyValuesAndTheFileStaysByteForByte() async throws {
        let path = try Fixture.make()
        let before = try sha256(path)
        let client = Client(site: try Site(database: path))
        let attempts = [
            // A quoted value holding SQL: it is a bound parameter, so it matches no run's name.
            "/api/runs?where=" + QueryString.escape("run.name = 'x'' OR ''1''=''1' "),
            "/api/runs?where=" + QueryString.escape("params.bits = 4; DROP TABLE runs; --"),
            "/api/runs?sort=" + QueryString.escape("id; DROP TABLE runs"),
            "/api/runs?cols=" + QueryString.escape("accuracy) FROM runs; DELETE FROM runs; --"),
            "/api/compare?ids=" + QueryString.escape("1 OR 1=1"),
            "/api/pareto?x=" + QueryString.escape("size_bytes' --") + "&y=accuracy",
            "/run/" + QueryString.escape("1;DELETE FROM runs"),
            "/?where=" + QueryString.escape("metrics.accuracy > 0 union select * from sqlite_master"),
        ]
        let answers = try await client.get(attempts + ["/api/runs"])
        #expect(answers[0].status == .ok && answers[0].body.contains("\"total\":0"))
        for (uri, a) in zip(attempts.dropFirst(), answers.dropFirst()) {
            #expect(a.status == .badRequest || a.status == .notFound, "\(uri): \(a.status)")
        }
        for a in answers { #expect(!containsSQL(a.body), "\(a.body)") }
        #expect(answers.last!.body.contains("\"total\":6"))
        #expect(try sha256(path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"))
    }

    @Test func everyPageAndAnswerLeavesTheFileUnchanged() async throws {
        let path = try Fixture.make()
        let before = try sha256(path)
        let client = Client(site: try Site(database: path))
        let uris = ["/", "/runs?sort=accuracy", "/run/3", "/run/4", "/run/6", "/compare?ids=2,3", "/compare?ids=2&ids=3&ids=5",
                    "/tradeoffs", "/tradeoffs?x=size_bytes&y=accuracy&log_x=1&per_method=1", "/assets/style.css", "/assets/app.js",
                    "/api/runs", "/api/run/3", "/api/run/3/csv", "/api/compare?ids=2,3", "/api/pareto?x=size_bytes&y=accuracy",
                    "/api/metrics", "/api/methods"]
        let answers = try await client.get(uris)
        for (uri, a) in zip(uris, answers) {
            #expect(a.status == .ok, "\(uri): \(a.status) \(a.body)")
            #expect(!containsSQL(a.body), "\(uri)")
        }
        #expect(try sha256(path) == before)
    }

    @Test func aRunRecordedWhileServingIsShownOnTheNextRequest() async throws {
        let path = try Fixture.make()
        let client = Client(site: try Site(database: path))
        #expect(try await client.ids("/api/runs").count == 6)
        // A sweep that finished and closed its database (the file changed under the reader).
        try Fixture.addRun(path, name: "late")
        #expect(try await client.ids("/api/runs").first == 7)
        // A writer still open: the new run is in the -wal file beside the database.
        let writer = try Store(path: path, create: false)
        _ = try writer.record(Fixture.start("prune", name: "while-open"), RunOutcome(metrics: [(key: "accuracy", value: 0.6, step: 0)]))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try await client.ids("/api/runs").first == 8)
        let page = try await client.get("/")
        #expect(page.body.contains("while-open"))
        writer.close()
        #expect(try await client.ids("/api/runs?sort=accuracy").count == 8)
    }

    @Test func runPageShowsConfigMetricsTensorsLineageCurvesAndDownloads() async throws {
        let client = Client(site: try Site(database: try Fixture.make(), exportModel: { _, run in run == 3 ? [1, 2, 3] : nil }))
        let answers = try await client.get(["/run/3", "/run/4", "/run/6", "/api/run/3", "/api/run/3/csv", "/run/3/model.safetensors",
                                            "/run/2/model.safetensors"])
        let three = answers[0].body
        #expect(three.contains("<h1 id=\"run-title\">Run 3 · int4</h1>"))
        #expect(three.contains("layers.0.weight") && three.contains(">dense<"))
        #expect(three.contains("<li>next stage: <a href=\"/run/4\">run 4</a>"))
        #expect(three.contains("int4 &lt;b&gt;group&lt;/b&gt; 32"))  // a note is text, not markup
        #expect(three.contains("<svg") && three.contains("accuracy (3 steps)") && three.contains("step 2: accuracy = 0.8"))
        #expect(three.contains("href=\"/api/run/3/csv\"") && three.contains("href=\"/run/3/model.safetensors\""))
        #expect(answers[1].body.contains("<li>previous stage: <a href=\"/run/3\">run 3</a>"))
        #expect(answers[2].body.contains("out of memory") && !answers[2].body.contains("model.safetensors\""))
        let json = try JSONSerialization.jsonObject(with: Data(answers[3].body.utf8)) as! [String: Any]
        #expect((json["params"] as! [String: Any])["bits"] as? Int == 4)
        #expect((json["curves"] as! [String: Any])["accuracy"] as? [[Double]] == [[1, 0.5], [2, 0.8], [3, 0.9]])
        #expect(((json["lineage"] as! [String: Any])["next_stages"] as! [[String: Any]]).map { $0["id"] as! Int } == [4])
        let csv = answers[4].body.split(separator: "\n")
        #expect(answers[4].type.hasPrefix("text/csv") && csv.count == 2 && csv[0].hasPrefix("run_id,") && csv[1].hasPrefix("3,int4,"))
        #expect(answers[5].status == .ok && Array(answers[5].body.utf8) == [1, 2, 3])
        #expect(answers[6].status == .notFound)
    }

    @Test func compareShowsDifferingParamsFirstAndDeltas() async throws {
        let client = Client(site: try Site(database: try Fixture.make()))
        let answers = try await client.get(["/compare?ids=2,3", "/api/compare?ids=2,3"])
        #expect(answers[0].body.contains("<tr class=\"differs\"><td>bits</td><td class=\"num\">8</td><td class=\"num\">4</td>"))
        let json = try JSONSerialization.jsonObject(with: Data(answers[1].body.utf8)) as! [String: Any]
        let accuracy = (json["metrics"] as! [[String: Any]]).first { $0["metric"] as? String == "accuracy" }!
        // 0.90 - 0.94, and that in % of 0.94.
        #expect(abs((accuracy["Δ 3"] as! Double) - (-0.04)) < 1e-12)
        #expect(abs((accuracy["Δ% 3"] as! Double) - (-0.04 / 0.94 * 100)) < 1e-9)
    }

    @Test func tradeoffsDrawTheFrontierWithLinksToRuns() async throws {
        let client = Client(site: try Site(database: try Fixture.make()))
        let answers = try await client.get(["/api/pareto?x=size_bytes&y=accuracy", "/tradeoffs?x=size_bytes&y=accuracy&log_x=1",
                                            "/api/metrics", "/api/methods"])
        let json = try JSONSerialization.jsonObject(with: Data(answers[0].body.utf8)) as! [String: Any]
        let points = json["points"] as! [[String: Any]]
        // Run 4 (100 kB, 0.85) is beaten by run 2 (50 kB, 0.94); the others each win on one axis.
        #expect(Set(points.filter { $0["frontier"] as! Bool }.map { $0["run"] as! Int }) == [1, 2, 3, 5])
        #expect(points.count == 5)
        let page = answers[1].body
        #expect(page.contains("<a href=\"/run/4\" data-run=\"4\"><path") && page.contains("log scale"))
        #expect(page.contains("<title>run 4 · prune · size_bytes = 100000, accuracy = 0.85</title>"))
        #expect(!page.contains("<?xml"))
        #expect(answers[2].body.contains("{\"name\":\"accuracy\",\"unit\":"))
        #expect(answers[3].body.contains("{\"method\":\"prune\",\"runs\":3,\"finished\":2}"))
    }

    @Test func onlyReadsAreAnswered() async throws {
        let app = UIServer.application(try Site(database: try Fixture.make()), host: "127.0.0.1", port: 0)
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .post) { #expect($0.status == .methodNotAllowed) }
            try await client.execute(uri: "/api/runs", method: .delete) { #expect($0.status == .methodNotAllowed) }
        }
    }

    @Test func aMissingOrForeignDatabaseIsRefusedAtStart() throws {
        let missing = Fixture.path("missing")
        #expect(throws: StoreError.self) { try Site(database: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))
        let foreign = Fixture.path("foreign")
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: foreign))
        do {
            _ = try Site(database: foreign)
            Issue.record("a text file was opened")
        } catch {
            #expect(String(describing: error) == "\(foreign) is not a Pare database (not SQLite): the file does not start with the SQLite header")
        }
    }

    @Test func aPortInUseIsOneSentence() async throws {
        let site = try Site(database: try Fixture.make())
        let app = UIServer.application(site, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = client.port!
            do {
                try await UIServer.run(site, host: "127.0.0.1", port: port) { _ in }
                Issue.record("a second server bound port \(port)")
            } catch let error as UIStartError {
                #expect(error.description == "port \(port) on 127.0.0.1 is in use (another server is there); pick another with --port")
            }
        }
    }
}
