import Foundation

/// Where a PostgreSQL store lives, from a libpq-style URL:
/// `postgresql://[user[:password]@][host][:port]/database[?host=/socket/dir]`.
/// No host means the server's Unix socket in /var/run/postgresql (Debian's, and libpq's
/// default); `?host=DIR` names another socket folder. The user defaults to `PGUSER`, then the
/// login name; the password to `PGPASSWORD`. The description never includes the password.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String?
    public var socketDirectory: String?
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// True for text that names a PostgreSQL store rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isURL(text), let url = URLComponents(string: text) else {
            throw PostgresStoreError.badURL("it is not a postgresql://[user@]host[:port]/database URL")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let unknown = query.keys.first(where: { !["host", "port", "user", "password"].contains($0) }) {
            throw PostgresStoreError.badURL("it has the unknown setting '\(unknown)' (known: host, port, user, password)")
        }
        let hostText = query["host"] ?? url.host.flatMap { $0.removingPercentEncoding ?? $0 }
        if let hostText, hostText.hasPrefix("/") {
            socketDirectory = hostText
            host = nil
        } else {
            host = hostText.flatMap { $0.isEmpty ? nil : $0 }
            socketDirectory = host == nil ? "/var/run/postgresql" : nil
        }
        let portText = query["port"] ?? url.port.map(String.init) ?? "5432"
        guard let n = Int(portText), (1...65535).contains(n) else {
            throw PostgresStoreError.badURL("its port '\(portText)' is not a number from 1 to 65535")
        }
        port = n
        let name = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !name.isEmpty, !name.contains("/") else {
            throw PostgresStoreError.badURL("it names no database (postgresql://host/DATABASE)")
        }
        database = name
        user = query["user"] ?? url.user ?? environment["PGUSER"] ?? NSUserName()
        password = query["password"] ?? url.password ?? environment["PGPASSWORD"]
    }

    /// The Unix socket file the server listens on, when the location is a socket folder.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// `postgresql://user@host:port/database`, without the password.
    public var description: String {
        if let socketDirectory { return "postgresql://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)" }
        return "postgresql://\(user)@\(host ?? "localhost"):\(port)/\(database)"
    }

    /// Where the server is, for an error sentence: "host:port" or the socket's path.
    public var server: String { socketPath ?? "\(host ?? "localhost"):\(port)" }
}
