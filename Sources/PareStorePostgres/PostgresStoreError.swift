import Foundation
import PareStore
import PostgresNIO

/// A PostgreSQL store's failures, each one sentence. None repeats SQL or a password.
public enum PostgresStoreError: StoreSentence, Equatable {
    case badURL(String)
    case cannotConnect(server: String, reason: String)
    case refused(server: String, reason: String)
    case notPare(database: String)
    case newerSchema(database: String, unknownMigrations: [String])

    public var description: String {
        switch self {
        case .badURL(let why):
            "The PostgreSQL URL cannot be used: \(why)."
        case let .cannotConnect(server, reason):
            "Cannot connect to PostgreSQL at \(server): \(reason)."
        case let .refused(server, reason):
            "PostgreSQL at \(server) refused the request: \(reason)."
        case .notPare(let database):
            "The PostgreSQL database '\(database)' holds tables that are not Pare's: give Pare its own database (createdb pare)."
        case let .newerSchema(database, unknown):
            "The PostgreSQL database '\(database)' was written by a newer Pare (migrations \(unknown.joined(separator: ", ")) are unknown here): upgrade pare."
        }
    }

    /// The server's own message (never the statement), or the cause of a lost connection.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
                return trimmed(message + detail)
            }
            if let underlying = error.underlying { return reason(underlying) }
            switch error.code {
            case .authMechanismRequiresPassword: return "the server asks for a password (give one in the URL or PGPASSWORD)"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method Pare does not speak"
            case .serverClosedConnection: return "the server closed the connection"
            case .sslUnsupported: return "the server does not offer TLS"
            default: return "the connection failed (\(error.code))"
            }
        }
        if let error = error as? IOError { return trimmed(String(cString: strerror(error.errnoCode)).lowercased()) }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return reason(first.error) }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "the host name does not resolve (\(dns))" }
            return "no address to connect to"
        }
        if error is ChannelError { return "the connection was lost" }
        return trimmed(String(describing: error))
    }

    private static func trimmed(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
