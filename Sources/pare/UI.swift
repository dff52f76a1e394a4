import ArgumentParser
import Foundation
import Pare
import PareStore
import PareStorePostgres
import PareUI

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Browse the record in a web browser: runs, trade-offs, one run, comparisons (read-only).",
        discussion: """
        Serves a local web app over the same queries as the other commands: the runs as a \
        sortable table with the --where filter box, the Pareto plot of any two metrics, a run's \
        config, metrics, tensors, lineage and training curves, and runs side by side; and the \
        same data as JSON under /api/ (runs, run/ID, compare?ids=, pareto?x=&y=, metrics, \
        methods). The database is opened read-only and read afresh on every request, so the \
        app is safe beside running sweeps and shows their new runs on reload. It listens on \
        127.0.0.1 only, unless --allow-remote lets --host be another address. Stop it with Ctrl-C.
        Examples:
          pare ui --db demo.sqlite
          pare ui --db sweep.sqlite --port 9000
          pare ui --db postgresql://pare@db.internal/pare   # a team's server
          pare ui --host 0.0.0.0 --allow-remote   # the network can read it
        """
    )
    @Option(help: "The TCP port to listen on.") var port: Int = 8080
    @Option(help: "The address to listen on (anything but loopback needs --allow-remote).") var host: String = "127.0.0.1"
    @Flag(help: "Allow --host to be a non-loopback address (the record becomes readable from the network).")
    var allowRemote = false
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, not \(port).") }
        if !Self.isLoopback(host) && !allowRemote {
            throw ValidationError("--host \(host) is not a loopback address; add --allow-remote to serve the record to the network.")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() throws {
        try reportingErrors {
            let exportModel: ModelExporter = { store, run in
                let (model, _) = try StoredModel.loadTransformer(run: run, from: store)
                return model.transformer == nil ? ModelIO.safetensors(model).serialized() : nil
            }
            let site: Site
            let db: String
            if PostgresLocation.isURL(database.db) {
                // One connection serves every request, each read a transaction of its own.
                let store = try PostgresStore(url: database.db)
                db = store.location.description   // never the password
                site = Site(reader: OpenStoreReader(store, database: db), exportModel: exportModel)
            } else {
                db = database.db
                site = try Site(database: db, exportModel: exportModel)
            }
            if !Self.isLoopback(host) {
                FileHandle.standardError.write(Data("warning: serving \(db) on \(host), not loopback: anyone who reaches this address can read the record\n".utf8))
            }
            let host = self.host, port = self.port
            let failure = Locked<(any Error)?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await UIServer.run(site, host: host, port: port) { bound in
                        printOut("pare ui: serving \(db) (read-only) at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ — Ctrl-C stops it\n")
                    }
                } catch {
                    failure.set(error)
                }
                done.signal()
            }
            done.wait()
            if let error = failure.get() { throw error }
        }
    }
}

/// A value handed from the server's task back to the command's thread.
private final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
