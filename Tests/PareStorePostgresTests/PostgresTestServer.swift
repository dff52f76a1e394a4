import Foundation
import PareStore
@testable import PareStorePostgres

/// The server named by PARE_TEST_POSTGRES (`scripts/postgres-test-server start DIR` prints a
/// URL; .ci/run starts one and sets it). Each test gets a database of its own.
enum PostgresTestServer {
    static let url: String? = ProcessInfo.processInfo.environment["PARE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// A new empty database on the server; its URL.
    static func freshDatabase() throws -> String {
        let admin = try PostgresLocation(url!)
        let name = "pare_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let session = try PostgresSession(admin)
        defer { session.close() }
        try session.table("CREATE DATABASE \(name)")   // a name we made, never user text
        var location = admin
        location.database = name
        return location.description
    }
}
