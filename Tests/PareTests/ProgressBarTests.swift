import Foundation
import Testing
import Pare

@Suite struct ProgressBarTests {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var writes: [String] = []
        func append(_ s: String) { lock.lock(); writes.append(s); lock.unlock() }
    }

    @Test func silentWhenNotATerminal() {
        let sink = Sink()
        let bar = ProgressBar(label: "train", enabled: false, write: { sink.append($0) })
        bar.update(0.5, "epoch 1/2")
        bar.callback(0.9, "x")
        bar.finish()
        #expect(sink.writes.isEmpty)
        // The default follows isatty(2).
        #expect(ProgressBar(label: "x").enabled == (isatty(2) != 0))
    }

    @Test func drawsThrottledAndFinishes() {
        let sink = Sink()
        let bar = ProgressBar(label: "train", width: 10, enabled: true, write: { sink.append($0) })
        bar.update(0.1)
        for i in 0..<100 { bar.update(0.1 + Double(i) / 1000) }   // within 0.1 s: throttled
        #expect(sink.writes.count == 1 && sink.writes[0].hasPrefix("\rtrain [#---------] 10% "))
        bar.finish()
        #expect(sink.writes.count == 2 && sink.writes[1].contains("[##########] 100%") && sink.writes[1].hasSuffix("\n"))
        bar.update(0.5)
        #expect(sink.writes.count == 2)
    }

    @Test func renderFormat() {
        #expect(ProgressBar.render(label: "train", detail: "", fraction: 0.42, elapsed: 3.1, width: 10)
                == "train [####------] 42% 3.1s ETA 4.3s")
        #expect(ProgressBar.render(label: "t", detail: "epoch 2/5", fraction: 1, elapsed: 12.04, width: 4)
                == "t epoch 2/5 [####] 100% 12.0s")
    }
}
