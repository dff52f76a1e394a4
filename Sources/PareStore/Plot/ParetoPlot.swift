import Foundation
import PareTensor

/// `pare plot pareto`: an SVG scatter of runs on two metrics, one colour and marker shape per
/// method, the Pareto frontier as a step line, labelled axes with units, nice ticks, a legend.
public struct ParetoPlot: Sendable {
    public struct Point: Equatable, Sendable {
        public var run: Int64
        public var method: String
        public var x: Double
        public var y: Double
        public var onFrontier: Bool
    }

    public var x: String
    public var y: String
    public var points: [Point]
    public var directions: ParetoDirections
    public var logX: Bool
    /// One frontier per method (drawn in the method's colour) rather than one overall.
    public var perMethod: Bool
    public var title: String?
    /// When set, each point links to `runLink + run id` (the `pare ui` run page); the SVG file
    /// of `pare plot` has no links.
    public var runLink: String?

    /// The points of `Store.pareto(…, allPoints: true)` (columns run, name, method, x, y, frontier).
    public init(x: String, y: String, table: ResultTable, directions: ParetoDirections? = nil,
                logX: Bool = false, perMethod: Bool = false, title: String? = nil) throws {
        self.x = x
        self.y = y
        self.directions = directions ?? .known(x: x, y: y)
        self.logX = logX
        self.perMethod = perMethod
        self.title = title
        points = table.rows.compactMap { row in
            guard case .int(let run) = row[0], let px = row[3].doubleValue, let py = row[4].doubleValue else { return nil }
            let method = if case .text(let m) = row[2] { m } else { "?" }
            return Point(run: run, method: method, x: px, y: py, onFrontier: row.count > 5 && row[5] == .int(1))
        }
        if logX, let bad = points.first(where: { $0.x <= 0 }) {
            throw StoreError.invalidQuery("--log-x needs positive \(x) values; run \(bad.run) has \(x) = \(NumberText.full(bad.x))")
        }
    }

    static let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The methods in legend order (alphabetical, `none` first: the base model).
    var methods: [String] {
        Set(points.map(\.method)).sorted { a, b in a == "none" ? b != "none" : (b == "none" ? false : a < b) }
    }

    /// The SVG document.
    public func svg() -> String { drawing().document }

    /// The `<svg>` element alone, to put inside an HTML page.
    public func svgElement() -> String { drawing().markup }

    private func drawing() -> SVG {
        let width = 900, height = 580
        let left = 84.0, top = 64.0, right = Double(width) - 210, bottom = Double(height) - 66
        var svg = SVG(width: width, height: height)
        svg.element("rect", [("width", "100%"), ("height", "100%"), ("fill", "white")])

        let xAxis = logX ? Axis.logarithmic(covering: points.map(\.x)) : Axis.linear(covering: points.map(\.x))
        let yAxis = Axis.linear(covering: points.map(\.y))
        func px(_ v: Double) -> Double { left + xAxis.fraction(v) * (right - left) }
        func py(_ v: Double) -> Double { bottom - yAxis.fraction(v) * (bottom - top) }
        let n = SVG.number

        // Title and subtitle.
        let frontierCount = points.filter(\.onFrontier).count
        let (drawn, cell) = drawnPoints(px, py)
        svg.element("text", [("x", n(left)), ("y", "28"), ("font-size", "18"), ("font-weight", "bold")],
                    text: title ?? "Pareto frontier: \(y) vs \(x)")
        svg.element("text", [("x", n(left)), ("y", "48"), ("fill", "#555")],
                    text: "\(points.count) finished runs, \(frontierCount) on the \(perMethod ? "per-method frontiers" : "frontier")"
                        + (points.isEmpty ? " (no run has both metrics)" : "")
                        + (drawn.count < points.count
                            ? "; \(drawn.count) markers drawn (one method's runs within \(Int(cell)) px share one)" : ""))

        // Grid, ticks and tick labels.
        var grid = ""
        for t in xAxis.ticks {
            let gx = n(px(t))
            grid += "<line x1=\"\(gx)\" y1=\"\(n(top))\" x2=\"\(gx)\" y2=\"\(n(bottom))\"/>"
        }
        for t in yAxis.ticks {
            let gy = n(py(t))
            grid += "<line x1=\"\(n(left))\" y1=\"\(gy)\" x2=\"\(n(right))\" y2=\"\(gy)\"/>"
        }
        svg.element("g", [("stroke", "#e4e4e4"), ("stroke-width", "1")], children: grid)
        var labels = ""
        for t in xAxis.ticks {
            labels += "<text x=\"\(n(px(t)))\" y=\"\(n(bottom + 18))\" text-anchor=\"middle\">\(SVG.escape(xAxis.label(t)))</text>"
        }
        for t in yAxis.ticks {
            labels += "<text x=\"\(n(left - 8))\" y=\"\(n(py(t) + 4))\" text-anchor=\"end\">\(SVG.escape(yAxis.label(t)))</text>"
        }
        svg.element("g", [("fill", "#333")], children: labels)
        svg.element("rect", [("x", n(left)), ("y", n(top)), ("width", n(right - left)), ("height", n(bottom - top)),
                             ("fill", "none"), ("stroke", "#888")])

        // Axis titles with units and directions.
        svg.element("text", [("x", n((left + right) / 2)), ("y", n(Double(height) - 22)), ("text-anchor", "middle"),
                             ("font-size", "14")],
                    text: axisTitle(x, better: directions.xLowerIsBetter ? "lower" : "higher", log: logX))
        svg.element("text", [("transform", "translate(24 \(n((top + bottom) / 2))) rotate(-90)"), ("text-anchor", "middle"),
                             ("font-size", "14")],
                    text: axisTitle(y, better: directions.yHigherIsBetter ? "higher" : "lower", log: false))

        // Points, then the frontier on top; clipped to the plot area.
        svg.raw("<defs><clipPath id=\"plot-area\"><rect x=\"\(n(left - 8))\" y=\"\(n(top - 8))\" width=\"\(n(right - left + 16))\" height=\"\(n(bottom - top + 16))\"/></clipPath></defs>\n")
        let methods = self.methods
        let style = Dictionary(uniqueKeysWithValues: methods.enumerated().map { i, m in
            (m, (colour: Self.colours[i % Self.colours.count], shape: MarkerShape.allCases[i % MarkerShape.allCases.count]))
        })
        var marks = ""
        for p in drawn {
            let s = style[p.method]!
            let tip = "run \(p.run) · \(p.method) · \(x) = \(NumberText.compact(p.x)), \(y) = \(NumberText.compact(p.y))"
            var mark = "<path d=\"\(s.shape.path(x: px(p.x), y: py(p.y), r: p.onFrontier ? 5.5 : 4.5))\" fill=\"\(s.colour)\""
            mark += p.onFrontier ? " stroke=\"#111\" stroke-width=\"1.2\"" : " fill-opacity=\"0.55\""
            mark += "><title>\(SVG.escape(tip))</title></path>"
            if let runLink { mark = "<a href=\"\(SVG.escape(runLink + String(p.run)))\" data-run=\"\(p.run)\">" + mark + "</a>" }
            marks += mark + "\n"
        }
        svg.element("g", [("clip-path", "url(#plot-area)")], children: "\n" + marks)

        var lines = ""
        let groups: [(colour: String, points: [Point])] = perMethod
            ? methods.map { m in (style[m]!.colour, points.filter { $0.onFrontier && $0.method == m }) }
            : [("#222", points.filter(\.onFrontier))]
        for (colour, frontier) in groups where frontier.count > 0 {
            lines += "<path d=\"\(stepPath(frontier, px, py))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>\n"
        }
        svg.element("g", [("clip-path", "url(#plot-area)")], children: "\n" + lines)

        // Legend: one row per method (marker, name, count), then the frontier line.
        var legend = ""
        var ly = top + 6
        legend += "<text x=\"\(n(right + 24))\" y=\"\(n(ly))\" font-weight=\"bold\">method</text>"
        for m in methods {
            ly += 22
            let s = style[m]!
            let count = points.filter { $0.method == m }.count
            legend += "<path d=\"\(s.shape.path(x: right + 32, y: ly - 4, r: 5))\" fill=\"\(s.colour)\"/>"
            legend += "<text x=\"\(n(right + 46))\" y=\"\(n(ly))\">\(SVG.escape("\(m) (\(count))"))</text>"
        }
        ly += 30
        legend += "<line x1=\"\(n(right + 22))\" y1=\"\(n(ly - 4))\" x2=\"\(n(right + 42))\" y2=\"\(n(ly - 4))\" stroke=\"#222\" stroke-width=\"1.8\"/>"
        legend += "<text x=\"\(n(right + 46))\" y=\"\(n(ly))\">\(perMethod ? "frontier per method" : "Pareto frontier")</text>"
        ly += 20
        legend += "<text x=\"\(n(right + 24))\" y=\"\(n(ly))\" fill=\"#555\" font-size=\"11\">outlined: on the frontier</text>"
        svg.element("g", [("fill", "#222")], children: legend)
        return svg
    }

    /// Above this many points, markers that would cover each other are thinned (see `drawnPoints`).
    public static let thinningThreshold = 2_000
    /// At most about this many markers are drawn (the frontier's come on top of it).
    public static let markerBudget = 5_000

    /// The points to draw, off-frontier first so the frontier is on top, each in run order, and
    /// the cell (pixels) within which one method's off-frontier runs share a marker (0: none do).
    /// Up to `thinningThreshold` points every one is drawn. Beyond it (a sweep of 10k or 100k
    /// runs) an off-frontier point is drawn only if no earlier point of its method falls in its
    /// cell: 3 px first (markers are 9 px wide, so the picture is the same to the eye), doubled
    /// until the markers fit `markerBudget`, so the page stays a few hundred kB instead of tens of
    /// MB. Frontier points are always drawn.
    func drawnPoints(_ px: (Double) -> Double, _ py: (Double) -> Double) -> (points: [Point], cell: Double) {
        let ordered = points.sorted { ($0.onFrontier ? 1 : 0, $0.run) < ($1.onFrontier ? 1 : 0, $1.run) }
        guard points.count > Self.thinningThreshold else { return (ordered, 0) }
        struct Cell: Hashable { var method: String; var column: Int; var row: Int }
        let frontier = ordered.filter(\.onFrontier).count
        var cell = 3.0
        while true {
            var taken = Set<Cell>()
            let kept = ordered.filter { p in
                if p.onFrontier { return true }
                return taken.insert(Cell(method: p.method, column: Int((px(p.x) / cell).rounded(.down)),
                                         row: Int((py(p.y) / cell).rounded(.down)))).inserted
            }
            if kept.count - frontier <= Self.markerBudget || cell >= 96 { return (kept, cell) }
            cell *= 2
        }
    }

    /// "size_bytes (bytes, log scale) · lower is better"
    func axisTitle(_ metric: String, better: String, log: Bool) -> String {
        var qualifiers: [String] = []
        if let unit = MetricVocabulary.info(metric)?.unit { qualifiers.append(unit) }
        if log { qualifiers.append("log scale") }
        let unit = qualifiers.isEmpty ? "" : " (\(qualifiers.joined(separator: ", ")))"
        return "\(metric)\(unit) · \(better) is better"
    }

    /// The frontier as a staircase: from each point (best x first), across to the next point's x
    /// at this point's y, then to the next point: the best y reachable at each x.
    func stepPath(_ frontier: [Point], _ px: (Double) -> Double, _ py: (Double) -> Double) -> String {
        let sign = directions.xLowerIsBetter ? 1.0 : -1.0
        let ordered = frontier.sorted { ($0.x * sign, $0.run) < ($1.x * sign, $1.run) }
        let n = SVG.number
        var d = "M\(n(px(ordered[0].x))),\(n(py(ordered[0].y)))"
        for (a, b) in zip(ordered, ordered.dropFirst()) {
            d += "L\(n(px(b.x))),\(n(py(a.y)))L\(n(px(b.x))),\(n(py(b.y)))"
        }
        return d
    }
}
