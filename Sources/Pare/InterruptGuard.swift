import Dispatch
import Foundation
import PareStore

/// Ctrl-C (SIGINT) or SIGTERM during a run marks that run failed ("interrupted") before the
/// process exits with 128+signal, so an interrupted run is never left looking finished or
/// running forever. A hard kill (SIGKILL, power loss) leaves it 'running', never 'finished'.
public final class InterruptGuard: @unchecked Sendable {
    /// The process's one guard. `pare` creates it first thing, so even a signal in the first
    /// milliseconds exits with the documented status (130, 143) rather than dying by the signal.
    public static let shared = InterruptGuard()

    private let lock = NSLock()
    private var store: (any RunTracker)?
    private var runID: Int64?
    private var sources: [DispatchSourceSignal] = []

    private init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.interrupted(by: sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// The run now in progress (nil when between runs).
    public func track(_ runID: Int64?, in store: (any RunTracker)?) {
        lock.lock(); defer { lock.unlock() }
        self.runID = runID
        self.store = store
    }

    private func interrupted(by sig: Int32) {
        lock.lock()
        let (store, runID) = (self.store, self.runID)
        lock.unlock()
        if let store, let runID {
            try? store.failRun(runID, error: "interrupted by \(sig == SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM") before it finished")
            FileHandle.standardError.write(Data("\npare: interrupted; run \(runID) recorded as failed.\n".utf8))
        } else {
            FileHandle.standardError.write(Data("\npare: interrupted.\n".utf8))
        }
        exit(128 + sig)
    }
}
