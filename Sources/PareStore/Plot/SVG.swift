import Foundation

/// A small SVG document builder: elements appended as text, every attribute value and text
/// node escaped, numbers written with two decimals.
struct SVG {
    private(set) var body = ""
    let width: Int
    let height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    static func number(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.2f", r)
    }

    /// `<name a="v" …/>`, or with text content and/or child markup.
    mutating func element(_ name: String, _ attributes: [(String, String)], text: String? = nil, children: String? = nil) {
        body += "<" + name
        for (k, v) in attributes { body += " \(k)=\"\(Self.escape(v))\"" }
        if text == nil && children == nil {
            body += "/>\n"
            return
        }
        body += ">"
        if let text { body += Self.escape(text) }
        if let children { body += children }
        body += "</\(name)>\n"
    }

    mutating func raw(_ markup: String) { body += markup }

    /// A standalone SVG file: the XML declaration, then the element.
    var document: String { "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + markup }

    /// The `<svg>` element, as an HTML page embeds it.
    var markup: String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" \
        font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">

        """ + body + "</svg>\n"
    }
}

/// A marker shape for one series, as a path relative to its centre.
enum MarkerShape: CaseIterable {
    case circle, square, triangleUp, diamond, triangleDown, plus, cross, star

    /// Path data drawing the marker around (x, y) with radius about `r`.
    func path(x: Double, y: Double, r: Double) -> String {
        let n = SVG.number
        let start = "M\(n(x)),\(n(y))"
        switch self {
        case .circle:
            return start + "m\(n(-r)),0a\(n(r)),\(n(r)) 0 1,0 \(n(2 * r)),0a\(n(r)),\(n(r)) 0 1,0 \(n(-2 * r)),0z"
        case .square:
            let s = r * 0.88
            return start + "m\(n(-s)),\(n(-s))h\(n(2 * s))v\(n(2 * s))h\(n(-2 * s))z"
        case .triangleUp:
            return start + "m0,\(n(-r * 1.2))l\(n(r * 1.1)),\(n(r * 1.9))h\(n(-r * 2.2))z"
        case .triangleDown:
            return start + "m0,\(n(r * 1.2))l\(n(r * 1.1)),\(n(-r * 1.9))h\(n(-r * 2.2))z"
        case .diamond:
            let d = r * 1.25
            return start + "m0,\(n(-d))l\(n(d)),\(n(d))l\(n(-d)),\(n(d))l\(n(-d)),\(n(-d))z"
        case .plus, .cross:
            // A thick cross: twelve corners; rotated 45° for `cross`.
            let a = r * 1.15, t = r * 0.4
            let corners: [(Double, Double)] = [(-t, -a), (t, -a), (t, -t), (a, -t), (a, t), (t, t),
                                               (t, a), (-t, a), (-t, t), (-a, t), (-a, -t), (-t, -t)]
            let angle = self == .cross ? Double.pi / 4 : 0
            return polygon(x, y, corners.map { ($0.0 * cos(angle) - $0.1 * sin(angle), $0.0 * sin(angle) + $0.1 * cos(angle)) })
        case .star:
            let corners = (0..<10).map { i -> (Double, Double) in
                let radius = i % 2 == 0 ? r * 1.35 : r * 0.6
                let angle = -Double.pi / 2 + Double(i) * Double.pi / 5
                return (radius * cos(angle), radius * sin(angle))
            }
            return polygon(x, y, corners)
        }
    }

    private func polygon(_ x: Double, _ y: Double, _ corners: [(Double, Double)]) -> String {
        "M" + corners.map { "\(SVG.number(x + $0.0)),\(SVG.number(y + $0.1))" }.joined(separator: "L") + "z"
    }
}

/// Text made safe inside XML or HTML, as element content or a quoted attribute value: the five
/// markup characters as entities, and the control characters XML 1.0 forbids (even escaped)
/// replaced. SVG plots and `pare ui`'s pages both escape through it.
public enum MarkupText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 forbids most control characters, even escaped.
            case _ where c.value < 0x20 && c != "\t" && c != "\n" && c != "\r": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
