import Foundation

/// A training curve as a small SVG line chart (`pare ui`'s run page): the metric's value against
/// the step, with nice ticks on both axes and a dot on each point.
public struct LineChart: Sendable {
    public var curve: Curve

    public init(_ curve: Curve) { self.curve = curve }

    /// The `<svg>` element, to put inside an HTML page.
    public func svgElement() -> String {
        let width = 460, height = 240
        let left = 64.0, top = 30.0, right = Double(width) - 16, bottom = Double(height) - 40
        var svg = SVG(width: width, height: height)
        let xAxis = Axis.linear(covering: curve.points.map { Double($0.step) })
        let yAxis = Axis.linear(covering: curve.points.map(\.value))
        func px(_ v: Double) -> Double { left + xAxis.fraction(v) * (right - left) }
        func py(_ v: Double) -> Double { bottom - yAxis.fraction(v) * (bottom - top) }
        let n = SVG.number

        svg.element("text", [("x", n(left)), ("y", "18"), ("font-weight", "bold")],
                    text: "\(curve.metric) (\(curve.points.count) steps)")
        var grid = "", labels = ""
        for t in xAxis.ticks {
            grid += "<line x1=\"\(n(px(t)))\" y1=\"\(n(top))\" x2=\"\(n(px(t)))\" y2=\"\(n(bottom))\"/>"
            labels += "<text x=\"\(n(px(t)))\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\">\(SVG.escape(xAxis.label(t)))</text>"
        }
        for t in yAxis.ticks {
            grid += "<line x1=\"\(n(left))\" y1=\"\(n(py(t)))\" x2=\"\(n(right))\" y2=\"\(n(py(t)))\"/>"
            labels += "<text x=\"\(n(left - 6))\" y=\"\(n(py(t) + 4))\" text-anchor=\"end\">\(SVG.escape(yAxis.label(t)))</text>"
        }
        svg.element("g", [("stroke", "#e4e4e4")], children: grid)
        svg.element("g", [("fill", "#333"), ("font-size", "11")], children: labels)
        svg.element("rect", [("x", n(left)), ("y", n(top)), ("width", n(right - left)), ("height", n(bottom - top)),
                             ("fill", "none"), ("stroke", "#888")])
        svg.element("text", [("x", n((left + right) / 2)), ("y", n(Double(height) - 6)), ("text-anchor", "middle")], text: "step")

        let path = curve.points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(n(px(Double(p.step)))),\(n(py(p.value)))" }
        svg.element("path", [("d", path.joined()), ("fill", "none"), ("stroke", ParetoPlot.colours[0]), ("stroke-width", "1.8")])
        var dots = ""
        for p in curve.points {
            dots += "<circle cx=\"\(n(px(Double(p.step))))\" cy=\"\(n(py(p.value)))\" r=\"2.5\">"
            dots += "<title>\(SVG.escape("step \(p.step): \(curve.metric) = \(NumberText.compact(p.value))"))</title></circle>"
        }
        svg.element("g", [("fill", ParetoPlot.colours[0])], children: dots)
        return svg.markup
    }
}
