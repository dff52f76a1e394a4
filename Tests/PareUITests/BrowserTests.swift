import Foundation
import HummingbirdTesting
import Testing
@testable import PareUI

/// End to end in a real headless Chromium (Debian's `chromium` package; CI installs it): a
/// person's path through the app, checked in the browser's DOM. Skipped, saying why, where
/// chromium is not installed.
@Suite struct BrowserTests {
    @Test(.enabled(if: Chromium.binary != nil, "chromium is not installed (apt-get install chromium): the browser test is skipped"))
    func filterSortOpenARunAndTheTradeoffs() async throws {
        let app = UIServer.application(try Site(database: try Fixture.make("browser")), host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            // The driver blocks on its pipe: on a thread of its own, never a Swift concurrency one
            // (the server's handlers need those).
            let screenshot: Data = try await withCheckedThrowingContinuation { done in
                Thread { done.resume(with: Result { try Self.walkThrough(base) }) }.start()
            }
            // A PNG (its signature), and not a blank page: a 1280×900 screenshot of one colour
            // compresses to a few kB.
            #expect(screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            #expect(screenshot.count > 20_000, "screenshot is \(screenshot.count) bytes")
            try? screenshot.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("pare-ui-tradeoffs.png"))
        }
    }

    static func walkThrough(_ base: String) throws -> Data {
        let browser = try Chromium(binary: Chromium.binary!)
        try browser.openTab()
        func text(_ selector: String) throws -> String {
            try browser.evaluate("document.querySelector(\(Chromium.quoted(selector)))?.textContent ?? ''") as? String ?? ""
        }
        func runIDs() throws -> [Int] {
            try browser.evaluate("[...document.querySelectorAll('#runs tbody tr td:nth-child(2)')].map(td => +td.textContent)") as? [Int] ?? []
        }

        // The runs page of the record.
        try browser.navigate(base + "/")
        // Loaded, its deferred script too (before that, typing would reach no listener).
        try browser.wait(for: "document.readyState === 'complete' && document.querySelectorAll('#runs tbody tr').length === 6")
        #expect(try runIDs() == [6, 5, 4, 3, 2, 1])

        // Type a filter: while it is incomplete the box says what is wrong and where; complete, how many match.
        try browser.click("#filter")
        try browser.type("metrics.accuracy >")
        try browser.wait(for: "document.getElementById('filter-status').textContent.includes('column 19')")
        try browser.type(" 0.8")
        try browser.wait(for: "document.getElementById('filter-status').textContent === '4 runs match'")
        try browser.press(key: "Enter", code: 13, text: "\r")
        try browser.wait(for: "location.search.includes('where=') && document.readyState === 'complete' && document.getElementById('count')?.textContent === 'runs 1–4 of 4'")
        #expect(try runIDs() == [4, 3, 2, 1])

        // Sort by size: smallest first, the filter kept.
        try browser.click("#sort-size_bytes")
        try browser.wait(for: "location.search.includes('sort=size_bytes') && document.readyState === 'complete'")
        #expect(try runIDs() == [3, 2, 4, 1])
        #expect(try text("#count") == "runs 1–4 of 4, by size_bytes")

        // Open the first run.
        try browser.click("#runs tbody tr:first-child td:nth-child(2) a")
        try browser.wait(for: "document.readyState === 'complete' && document.getElementById('run-title')")
        #expect(try text("#run-title") == "Run 3 · int4")
        #expect(try text("#tensors").contains("layers.0.weight"))
        #expect(try text("#lineage").contains("next stage: run 4"))
        #expect(try browser.evaluate("document.querySelectorAll('#curves svg path').length") as? Int ?? 0 >= 1)

        // The trade-off page: every run with both metrics a point linking to it, hover says which.
        try browser.click("header a[href='/tradeoffs']")
        try browser.wait(for: "document.readyState === 'complete' && document.querySelector('#plot-area svg')")
        #expect(try browser.evaluate("document.querySelectorAll('#plot-area a[data-run]').length") as? Int == 5)
        #expect(try browser.evaluate("[...document.querySelectorAll('#frontier tbody tr td:first-child')].map(td => +td.textContent).sort()") as? [Int] == [1, 2, 3, 5])
        try browser.hover("#plot-area a[data-run='4'] path")
        try browser.wait(for: "getComputedStyle(document.getElementById('hover')).display === 'block'")
        #expect(try text("#hover").hasPrefix("run 4 · prune"))
        let shot = try browser.screenshot()

        // Clicking the point opens its run.
        try browser.click("#plot-area a[data-run='4'] path")
        try browser.wait(for: "document.getElementById('run-title')?.textContent === 'Run 4 · pruned-after-int4'")
        return shot
    }
}
