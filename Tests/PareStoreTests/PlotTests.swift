import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import PareStore

/// Collects what an SVG holds, and whether XMLParser accepts it.
final class SVGReader: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var texts: [String] = []
    var root: (name: String, attributes: [String: String])?
    private var text = ""

    static func read(_ svg: String) -> (reader: SVGReader, ok: Bool, error: String?) {
        let reader = SVGReader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        let ok = parser.parse()
        return (reader, ok, parser.parserError.map { "\($0)" })
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = (name, attributes) }
        elements[name, default: 0] += 1
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(text) }
        text = ""
    }
}

@Suite struct PlotTests {
    func store() throws -> Store {
        let store = try newStore("plot")
        let methods = ["none", "prune <&> \"odd\" 'name'", "quant-weight", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10"]
        for (i, method) in methods.enumerated() {
            for j in 0..<3 {
                _ = try store.record(start(method), outcome(["size_bytes": Double(1000 * (i + 1) + 300 * j),
                                                             "accuracy": 0.5 + Double(i) * 0.04 - Double(j) * 0.01]))
            }
        }
        return store
    }

    @Test func svgIsWellFormedWithLegendAxesAndFrontier() throws {
        let store = try store()
        for (logX, perMethod) in [(false, false), (true, true)] {
            let table = try store.pareto(x: "size_bytes", y: "accuracy", perMethod: perMethod, allPoints: true)
            let plot = try ParetoPlot(x: "size_bytes", y: "accuracy", table: table, logX: logX, perMethod: perMethod,
                                      title: "a < b & c")
            let svg = plot.svg()
            let (reader, ok, error) = SVGReader.read(svg)
            #expect(ok, "\(error ?? "")")
            #expect(reader.root?.name == "svg")
            #expect(reader.root?.attributes["viewBox"] == "0 0 900 580")
            #expect(reader.root?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
            #expect(reader.texts.contains("a < b & c"))
            #expect(reader.texts.contains("prune <&> \"odd\" 'name' (3)"))
            #expect(reader.texts.contains { $0.hasPrefix("size_bytes (bytes\(logX ? ", log scale" : "")) · lower is better") })
            #expect(reader.texts.contains("accuracy (fraction) · higher is better"))
            #expect(reader.texts.contains(perMethod ? "frontier per method" : "Pareto frontier"))
            // One tooltip per run, one legend marker per method, frontier line(s).
            #expect(reader.texts.filter { $0.hasPrefix("run ") }.count == 33)
            #expect((reader.elements["path"] ?? 0) >= 33 + 11 + 1)
        }
        // Markers: one colour and shape per method, distinct for the first eight methods.
        let table = try store.pareto(x: "size_bytes", y: "accuracy", allPoints: true)
        let plot = try ParetoPlot(x: "size_bytes", y: "accuracy", table: table)
        #expect(plot.methods.first == "none")
        #expect(Set(MarkerShape.allCases.map { $0.path(x: 0, y: 0, r: 4) }).count == MarkerShape.allCases.count)
    }

    /// A 10k-run sweep must not put 10k markers in the page: beyond the threshold, one method's
    /// off-frontier runs that land in one 3-px cell share a marker, and no frontier run or
    /// distinct position is lost.
    @Test func manyRunsAreThinnedWithoutLosingAPosition() throws {
        var table = ResultTable(columns: ["run", "name", "method", "size_bytes", "accuracy", "frontier"])
        var run: Int64 = 0
        func add(_ method: String, _ x: Double, _ y: Double, frontier: Bool = false) {
            run += 1
            table.rows.append([.int(run), .null, .text(method), .double(x), .double(y), .int(frontier ? 1 : 0)])
        }
        // 40 × 40 distinct positions (≥ 9 px apart on the plot), each recorded three times by
        // method a, and once by method b; then five frontier runs at one spot.
        for _ in 0..<3 { for i in 0..<40 { for j in 0..<40 { add("a", Double(1000 + 100 * i), 0.5 + 0.01 * Double(j)) } } }
        for i in 0..<40 { for j in 0..<40 { add("b", Double(1000 + 100 * i), 0.5 + 0.01 * Double(j)) } }
        for _ in 0..<5 { add("a", 900, 0.9, frontier: true) }
        #expect(table.rows.count > ParetoPlot.thinningThreshold)

        let (reader, ok, error) = SVGReader.read(try ParetoPlot(x: "size_bytes", y: "accuracy", table: table).svg())
        #expect(ok, "\(error ?? "")")
        let tips = reader.texts.filter { $0.hasPrefix("run ") }
        #expect(tips.count == 1600 * 2 + 5)
        #expect(tips.filter { $0.contains(" · a · size_bytes = 900,") }.count == 5)
        #expect(reader.texts.contains { $0.contains("6405 finished runs, 5 on the frontier; 3205 markers drawn") })
        // Below the threshold every run keeps its own marker (the test above: 33 of 33).

        // 10,000 distinct positions a few px apart: the cell grows until the markers fit the budget.
        var spread = ResultTable(columns: table.columns)
        for i in 0..<100 { for j in 0..<100 {
            spread.rows.append([.int(Int64(i * 100 + j + 1)), .null, .text("a"), .double(Double(1000 + i)), .double(Double(j)), .int(0)])
        } }
        let dense = SVGReader.read(try ParetoPlot(x: "size_bytes", y: "accuracy", table: spread).svg()).reader
        let drawn = dense.texts.filter { $0.hasPrefix("run ") }.count
        #expect(drawn <= ParetoPlot.markerBudget && drawn > 1000, "\(drawn)")
        #expect(dense.texts.contains { $0.contains("10000 finished runs") && $0.contains("\(drawn) markers drawn") })
    }

    @Test func logXNeedsPositiveValues() throws {
        let store = try newStore("plot-log")
        _ = try store.record(start(), outcome(["size_bytes": 0, "accuracy": 0.5]))
        let table = try store.pareto(x: "size_bytes", y: "accuracy", allPoints: true)
        #expect(throws: StoreError.self) { try ParetoPlot(x: "size_bytes", y: "accuracy", table: table, logX: true) }
        // An empty plot is still a document.
        let empty = try ParetoPlot(x: "size_bytes", y: "accuracy", table: ResultTable(columns: table.columns))
        #expect(SVGReader.read(empty.svg()).ok)
    }

    @Test func niceTicks() {
        let a = Axis.linear(covering: [0.907, 0.979], margin: 0)
        #expect(a.ticks == [0.9, 0.92, 0.94, 0.96, 0.98])
        #expect(Axis.linear(covering: [12_000, 198_000], margin: 0).ticks == [0, 50_000, 100_000, 150_000, 200_000])
        #expect(Axis.linear(covering: [-3, 7], margin: 0).ticks == [-4, -2, 0, 2, 4, 6, 8])
        #expect(Axis.linear(covering: [5, 5]).ticks.count >= 2)
        #expect([0.1, 0.2, 0.3, 1.5, 25].map { Axis.niceStep($0) } == [0.1, 0.2, 0.5, 2, 50])
        let log = Axis.logarithmic(covering: [0.11, 0.33])
        #expect(log.ticks == [0.1, 0.2, 0.5] && log.lower == 0.1 && log.upper == 0.5)
        #expect(Axis.logarithmic(covering: [3, 20_000]).ticks == [3, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000])
        #expect(Axis.logarithmic(covering: [3, 2_000_000]).ticks == [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000])
        #expect(a.label(50_000) == "50k" && a.label(1_250_000) == "1.25M" && a.label(0.94) == "0.94" && a.label(0) == "0")
    }
}
