import Foundation

/// A one-line progress bar on stderr: `label [#########---------------] 42% 3.1s ETA 4.2s`,
/// redrawn in place with "\r". It draws only when stderr is a terminal (isatty(2)) and at most
/// 10 times a second; otherwise it is silent, so logs and pipes stay clean. Thread-safe.
///
/// Bridge to a method's progress callback with `callback`:
/// `Trainer.train(&net, on: data, config: c, progress: bar.callback); bar.finish()`.
public final class ProgressBar: @unchecked Sendable {
    public let label: String
    public let enabled: Bool
    public let width: Int
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private var finished = false
    private var lastFraction = 0.0
    private var lastDetail = ""

    /// Minimum time between two redraws.
    public static let minimumInterval: UInt64 = 100_000_000

    /// True when stderr is a terminal.
    public static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// `enabled` defaults to whether stderr is a terminal; `write` defaults to stderr (tests
    /// pass their own to see what would be drawn).
    public init(label: String, width: Int = 24, enabled: Bool = ProgressBar.stderrIsTerminal,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.width = max(1, width)
        self.enabled = enabled
        self.write = write
    }

    /// The `@Sendable (fraction, detail)` callback methods receive (CompressionContext.progress).
    public var callback: @Sendable (Double, String) -> Void {
        { [self] fraction, detail in update(fraction, detail) }
    }

    /// Records progress (fraction 0…1, clamped) with an optional short detail shown after the
    /// label; redraws if enabled and at least 0.1 s passed since the last redraw.
    public func update(_ fraction: Double, _ detail: String = "") {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        lastFraction = min(1, max(0, fraction.isFinite ? fraction : 0))
        lastDetail = detail
        let now = DispatchTime.now().uptimeNanoseconds
        if drawn && now - lastDraw < Self.minimumInterval { return }
        lastDraw = now
        drawn = true
        write("\r" + Self.render(label: label, detail: detail, fraction: lastFraction,
                                 elapsed: Double(now - start) / 1e9, width: width) + "\u{1B}[K")
    }

    /// Draws the final state at 100 % and ends the line (only if anything was drawn, or enabled).
    public func finish(_ detail: String? = nil) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        write("\r" + Self.render(label: label, detail: detail ?? lastDetail, fraction: 1, elapsed: elapsed, width: width)
              + "\u{1B}[K\n")
    }

    /// The bar's text (no "\r"): `label detail [####------] 42% 3.1s ETA 4.2s`.
    public static func render(label: String, detail: String, fraction: Double, elapsed: Double, width: Int) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let percent = Int((fraction * 100).rounded(.down))
        var text = label
        if !detail.isEmpty { text += " " + detail }
        text += " [\(bar)] \(percent)% \(seconds(elapsed))"
        if fraction > 0 && fraction < 1 {
            text += " ETA " + seconds(elapsed * (1 - fraction) / fraction)
        }
        return text
    }

    static func seconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
