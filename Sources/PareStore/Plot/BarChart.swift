import Foundation

/// A horizontal bar chart as SVG: one bar per labelled value, drawn from zero (so a negative
/// change points left), the value written at the bar's end. `pare sensitivity` draws one bar
/// per layer group: the change of its metric against the base model. Horizontal because a
/// transformer has dozens or hundreds of groups and their paths need room to be read.
public struct BarChart: Sendable {
    public struct Bar: Equatable, Sendable {
        public var label: String
        public var value: Double
        /// A tooltip (e.g. the run id and the metric itself).
        public var detail: String
        public init(label: String, value: Double, detail: String = "") {
            self.label = label
            self.value = value
            self.detail = detail
        }
    }

    public var title: String
    public var subtitle: String
    /// The value axis title, e.g. "Δ perplexity vs base (lower is better)".
    public var axisTitle: String
    public var bars: [Bar]
    /// Whether a positive value is a loss (Δ perplexity) or a gain (Δ accuracy): losses are
    /// drawn red, gains blue.
    public var positiveIsWorse: Bool

    public init(title: String, subtitle: String = "", axisTitle: String, bars: [Bar], positiveIsWorse: Bool = true) {
        self.title = title
        self.subtitle = subtitle
        self.axisTitle = axisTitle
        self.bars = bars
        self.positiveIsWorse = positiveIsWorse
    }

    /// The SVG document; bars with a non-finite value are listed without a bar.
    public func svg() -> String {
        let n = SVG.number
        let rowHeight = 18.0, longest = bars.map(\.label.count).max() ?? 0
        let left = min(420, max(90, 7.2 * Double(longest) + 16)), top = 64.0
        let right = left + 560, width = Int(right + 90)
        let bottom = top + rowHeight * Double(max(bars.count, 1))
        let height = Int(bottom + 60)
        var svg = SVG(width: width, height: height)
        svg.element("rect", [("width", "100%"), ("height", "100%"), ("fill", "white")])
        svg.element("text", [("x", "16"), ("y", "28"), ("font-size", "18"), ("font-weight", "bold")], text: title)
        if !subtitle.isEmpty { svg.element("text", [("x", "16"), ("y", "48"), ("fill", "#555")], text: subtitle) }

        let finite = bars.map(\.value).filter(\.isFinite)
        let axis = Axis.linear(covering: finite + [0])
        func px(_ v: Double) -> Double { left + axis.fraction(v) * (right - left) }
        var grid = ""
        for t in axis.ticks {
            grid += "<line x1=\"\(n(px(t)))\" y1=\"\(n(top))\" x2=\"\(n(px(t)))\" y2=\"\(n(bottom))\"/>"
        }
        svg.element("g", [("stroke", "#e4e4e4"), ("stroke-width", "1")], children: grid)
        var ticks = ""
        for t in axis.ticks {
            ticks += "<text x=\"\(n(px(t)))\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\">\(SVG.escape(axis.label(t)))</text>"
        }
        svg.element("g", [("fill", "#333"), ("font-size", "11")], children: ticks)

        var marks = ""
        let zero = px(0)
        for (i, bar) in bars.enumerated() {
            let y = top + rowHeight * Double(i)
            marks += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 13))\" text-anchor=\"end\" fill=\"#333\">\(SVG.escape(bar.label))</text>"
            guard bar.value.isFinite else {
                marks += "<text x=\"\(n(zero + 4))\" y=\"\(n(y + 13))\" fill=\"#999\">no value</text>"
                continue
            }
            let x0 = min(zero, px(bar.value)), w = max(abs(px(bar.value) - zero), 0.5)
            let colour = (bar.value > 0) == positiveIsWorse ? "#d62728" : "#1f77b4"
            let tip = bar.detail.isEmpty ? "\(bar.label): \(NumberText.compact(bar.value))" : bar.detail
            marks += "<rect x=\"\(n(x0))\" y=\"\(n(y + 3))\" width=\"\(n(w))\" height=\"\(n(rowHeight - 6))\" fill=\"\(colour)\"><title>\(SVG.escape(tip))</title></rect>"
            let labelX = bar.value >= 0 ? x0 + w + 4 : x0 - 4
            marks += "<text x=\"\(n(labelX))\" y=\"\(n(y + 13))\" font-size=\"11\" fill=\"#555\"\(bar.value >= 0 ? "" : " text-anchor=\"end\"")>\(SVG.escape(NumberText.compact(bar.value)))</text>"
            marks += "\n"
        }
        svg.element("g", [], children: "\n" + marks)
        svg.element("line", [("x1", n(zero)), ("y1", n(top)), ("x2", n(zero)), ("y2", n(bottom)), ("stroke", "#222")])
        svg.element("text", [("x", n((left + right) / 2)), ("y", n(bottom + 40)), ("text-anchor", "middle"), ("font-size", "14")],
                    text: axisTitle)
        return svg.document
    }
}
