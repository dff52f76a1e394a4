import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A headless Chromium driven over the DevTools protocol, through the pipe transport
/// (`--remote-debugging-pipe`: JSON messages ended by NUL on fds 3 and 4), as Puppeteer's
/// `pipe: true` does: no port to find or race for, no websocket framing. Every wait is bounded.
final class Chromium {
    /// The Debian package's binary, or PARE_CHROMIUM; nil when neither exists.
    static var binary: String? {
        let candidates = [ProcessInfo.processInfo.environment["PARE_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private var nextID = 0
    private var buffer: [UInt8] = []
    private var session: String?

    init(binary: String) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("pare-ui-chromium-\(UUID().uuidString)")
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw Failure(description: "pipe() failed") }
        // Move every end above the fds the child gets (3, 4), close-on-exec, so dup2 cannot clobber one.
        func high(_ fd: Int32) -> Int32 { let h = fcntl(fd, F_DUPFD_CLOEXEC, 100); close(fd); return h }
        let childIn = high(input[0]), parentOut = high(input[1]), parentIn = high(output[0]), childOut = high(output[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childIn, 3)
        posix_spawn_file_actions_adddup2(&actions, childOut, 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                    "--remote-debugging-pipe", "--user-data-dir=\(profile.path)", "--window-size=1280,900", "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, &argv, environ)
        close(childIn); close(childOut)
        guard rc == 0 else { throw Failure(description: "cannot start \(binary): \(String(cString: strerror(rc)))") }
        pid = child
        toBrowser = parentOut
        fromBrowser = parentIn
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser); close(fromBrowser)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Opens a tab and attaches to it; later commands go to that tab.
    func openTab() throws {
        let target = try send("Target.createTarget", ["url": "about:blank"], toTab: false)
        let attached = try send("Target.attachToTarget", ["targetId": target["targetId"] as! String, "flatten": true], toTab: false)
        session = attached["sessionId"] as? String
        _ = try send("Page.enable")
    }

    /// Sends a command and returns its result, skipping the events that arrive meanwhile.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], toTab: Bool = true, timeout: TimeInterval = 30) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if toTab, let session { message["sessionId"] = session }
        var bytes = Array(try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(toBrowser, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { throw Failure(description: "the browser closed its pipe") }
                done += n
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try readMessage(until: deadline)
            guard reply["id"] as? Int == nextID else { continue }
            if let error = reply["error"] as? [String: Any] {
                throw Failure(description: "\(method): \(error["message"] ?? error)")
            }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    private func readMessage(until deadline: Date) throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "the browser did not answer in time") }
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(left, 1) * 1000)) >= 0 else { throw Failure(description: "poll() failed") }
            if poller.revents == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fromBrowser, &chunk, chunk.count)
            if n <= 0 { throw Failure(description: "the browser exited") }
            buffer += chunk[..<n]
        }
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    func evaluate(_ expression: String) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw Failure(description: "\(expression): \(exception["text"] ?? exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until a JavaScript condition holds in the page (polled; bounded).
    func wait(for condition: String, timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? evaluate("!!(\(condition))")) as? Bool == true { return }
            usleep(100_000)
        }
        let url = (try? evaluate("location.href")) as? String ?? "?"
        throw Failure(description: "timed out waiting for \(condition) on \(url)")
    }

    func navigate(_ url: String) throws { try send("Page.navigate", ["url": url]) }

    /// Types text into the focused element as key presses would (input events fire).
    func type(_ text: String) throws { try send("Input.insertText", ["text": text]) }

    func press(key: String, code: Int, text: String? = nil) throws {
        var down: [String: Any] = ["type": "keyDown", "key": key, "code": key, "windowsVirtualKeyCode": code]
        if let text { down["text"] = text }
        try send("Input.dispatchKeyEvent", down)
        try send("Input.dispatchKeyEvent", ["type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code])
    }

    /// The centre of the first element matching `selector`, in viewport pixels (scrolled into view).
    func centre(of selector: String) throws -> (x: Double, y: Double) {
        let js = "(() => { const e = document.querySelector(\(Self.quoted(selector))); e.scrollIntoView({block: 'center'}); "
            + "const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        guard let point = try evaluate(js) as? [Double], point.count == 2 else { throw Failure(description: "no \(selector)") }
        return (point[0], point[1])
    }

    /// Moves the mouse over the element and clicks it, as a person would.
    func click(_ selector: String) throws {
        let p = try centre(of: selector)
        try send("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": p.x, "y": p.y])
        try send("Input.dispatchMouseEvent", ["type": "mousePressed", "x": p.x, "y": p.y, "button": "left", "clickCount": 1])
        try send("Input.dispatchMouseEvent", ["type": "mouseReleased", "x": p.x, "y": p.y, "button": "left", "clickCount": 1])
    }

    func hover(_ selector: String) throws {
        let p = try centre(of: selector)
        try send("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": p.x, "y": p.y])
    }

    /// A PNG of the viewport.
    func screenshot() throws -> Data {
        let result = try send("Page.captureScreenshot", ["format": "png"])
        guard let text = result["data"] as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "no screenshot data")
        }
        return data
    }

    static func quoted(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [s]), encoding: .utf8)!.dropFirst().dropLast().description
    }
}
