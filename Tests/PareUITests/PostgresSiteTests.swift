import Foundation
import PareStore
import PareStorePostgres
import PareTestPostgres
import Testing
@testable import PareUI

/// `pare ui --db postgresql://…`: the same runs (merged from the SQLite fixture) serve the same
/// pages and API answers from a PostgreSQL store as from the file, byte for byte but for the
/// database's name.
@Suite(.enabled(if: PostgresTestServer.url != nil, "PARE_TEST_POSTGRES names no server"))
struct PostgresSiteTests {
    @Test func everyPageIsTheSameOnBothStores() async throws {
        let path = try Fixture.make("postgres-site")
        let url = try PostgresTestServer.freshDatabase()
        let store = try PostgresStore(url: url)
        defer { store.close() }
        let merged = try store.merge(from: try #require(try MergeSource.open(path, into: url)))
        #expect(merged.merged == 6 && merged.stillRunning == 0, "\(merged)")   // the failed run too: it ended
        let sqlite = Client(site: try Site(database: path))
        let postgres = Client(site: Site(reader: OpenStoreReader(store, database: "team-db")))
        let uris = ["/", "/?sort=size_bytes&order=asc", "/?sort=accuracy&limit=2&offset=1", "/?where=params.bits%20%3E%3D%208",
                    "/?where=metrics.accuracy%20%3E%200.8&sort=accuracy&cols=size_bytes", "/run/1", "/run/3", "/run/4", "/run/6",
                    "/compare?ids=2,3", "/tradeoffs?x=size_bytes&y=accuracy", "/api/runs", "/api/runs?sort=accuracy",
                    "/api/run/3", "/api/run/4/csv", "/api/compare?ids=1,3", "/api/pareto?x=size_bytes&y=accuracy",
                    "/api/metrics", "/api/methods", "/run/99", "/api/runs?where=params.bits%20%3E", "/api/runs?sort=nope"]
        let fromFile = try await sqlite.get(uris)
        let fromServer = try await postgres.get(uris)
        for (uri, (a, b)) in zip(uris, zip(fromFile, fromServer)) {
            #expect(a.status == b.status && a.type == b.type, "\(uri): \(a.status) \(b.status)")
            #expect(a.body.replacingOccurrences(of: path, with: "team-db") == b.body, "\(uri)\nSQLite:\n\(a.body)\nPostgreSQL:\n\(b.body)")
            #expect(!containsSQL(b.body), "\(uri)")
        }
        #expect(fromServer[6].body.contains("pruned-after-int4") && fromServer[0].body.contains("oom"))
    }
}
