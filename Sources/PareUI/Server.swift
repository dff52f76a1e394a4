import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PareStore

/// `pare ui`: the `Site` served over HTTP by Hummingbird. Only GET and HEAD are answered.
public enum UIServer {
    /// The Hummingbird application serving `site` on host:port (port 0: any free port).
    /// `onRunning` gets the port actually bound.
    public static func application(_ site: Site, host: String, port: Int,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            guard request.method == .get || request.method == .head else {
                return response(.html("<!DOCTYPE html><p>pare ui is read-only: only GET is answered.</p>", status: .methodNotAllowed))
            }
            let reply = site.get(path: request.uri.path, query: request.uri.query)
            return response(reply)
        }
        var logger = Logger(label: "pare-ui")
        logger.logLevel = .critical  // the CLI says what matters in one sentence; no per-request log lines
        return Application(responder: responder,
                           configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "pare"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    static func response(_ reply: Reply) -> Response {
        var headers: HTTPFields = [.contentType: reply.contentType, .cacheControl: "no-store"]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        if let name = reply.attachmentName { headers[.contentDisposition] = "attachment; filename=\"\(name)\"" }
        return Response(status: reply.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    /// Runs the server until interrupted. A port already in use is one sentence.
    /// Ctrl-C and SIGTERM are left to the CLI's interrupt guard, which exits 130/143 as every
    /// other command does: had the service's own lifecycle caught them too, the two would race,
    /// and a graceful shutdown that won returned normally, with exit status 0.
    public static func run(_ site: Site, host: String, port: Int,
                           onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        do {
            try await application(site, host: host, port: port, onRunning: onRunning).runService(gracefulShutdownSignals: [])
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw UIStartError("port \(port) on \(host) is in use (another server is there); pick another with --port")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw UIStartError("port \(port) on \(host) needs privileges to bind; pick a port above 1023 with --port")
        } catch let error as IOError {
            throw UIStartError("cannot serve on \(host):\(port): \(String(cString: strerror(error.errnoCode)))")
        }
    }
}

/// Why the server could not start, as one sentence.
public struct UIStartError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
