import Foundation
import PareStorePostgres

/// The server named by PARE_TEST_POSTGRES (`scripts/postgres-test-server start DIR` prints a
/// URL; .ci/run starts one and sets it). Each test gets a database of its own.
public enum PostgresTestServer {
    public static let url: String? = ProcessInfo.processInfo.environment["PARE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// A new empty database on the server; its URL.
    public static func freshDatabase() throws -> String {
        let name = "pare_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return try PostgresStore.createDatabase(named: name, onServerOf: url!)
    }
}
