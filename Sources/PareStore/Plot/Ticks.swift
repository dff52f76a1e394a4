import Foundation

/// Axis scales with "nice" ticks: 1, 2 or 5 times a power of ten.
public struct Axis: Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var ticks: [Double]
    public var logarithmic: Bool

    /// A linear axis covering `values` with a margin of `margin` of their range each side (so no
    /// point sits on the frame), widened to whole ticks (about `count` of them).
    public static func linear(covering values: [Double], count: Int = 6, margin: Double = 0.03) -> Axis {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        } else {
            let pad = (hi - lo) * margin
            // Keep a non-negative range non-negative: sizes and counts start at 0, not -6k.
            lo = lo >= 0 ? max(0, lo - pad) : lo - pad
            hi += pad
        }
        let step = niceStep((hi - lo) / Double(max(count - 1, 1)))
        let first = (lo / step).rounded(.down) * step
        let last = (hi / step).rounded(.up) * step
        var ticks: [Double] = []
        var i = 0.0
        while first + i * step <= last + step * 1e-9 {
            // Multiply rather than accumulate, and snap to the step's decimals, so 0.1 * 3 prints 0.3.
            ticks.append(snap(first + i * step, step))
            i += 1
        }
        return Axis(lower: first, upper: last, ticks: ticks, logarithmic: false)
    }

    /// A base-10 logarithmic axis covering `values` (all > 0), from the 1-2-5 value at or below
    /// the least to the one at or above the greatest; ticks at 1, 2 and 5 × 10^k when the range
    /// spans few decades, at decades only when it spans many.
    public static func logarithmic(covering values: [Double]) -> Axis {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        let lo = positive.min() ?? 1, hi = positive.max() ?? 10
        let decades = log10(hi) - log10(lo)
        let multiples: [Double] = decades <= 2.5 ? [1, 2, 5] : (decades <= 5 ? [1, 3] : [1])
        var candidates: [Double] = []
        for e in Int(floor(log10(lo))) - 1...Int(ceil(log10(hi))) + 1 {
            for m in multiples { candidates.append(snap(m * pow(10, Double(e)), pow(10, Double(e)))) }
        }
        var lower = candidates.last { $0 <= lo * (1 + 1e-12) } ?? lo
        var upper = candidates.first { $0 >= hi * (1 - 1e-12) } ?? hi
        if lower == upper {
            lower = candidates.last { $0 < lower } ?? lower / 2
            upper = candidates.first { $0 > upper } ?? upper * 2
        }
        let ticks = candidates.filter { $0 >= lower && $0 <= upper }
        return Axis(lower: lower, upper: upper, ticks: ticks, logarithmic: true)
    }

    /// Where `value` falls, 0 at `lower` and 1 at `upper`.
    public func fraction(_ value: Double) -> Double {
        if logarithmic { return (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) }
        return (value - lower) / (upper - lower)
    }

    /// 1, 2 or 5 × 10^k, the smallest at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    static func snap(_ v: Double, _ step: Double) -> Double {
        let decimals = max(0, -Int(floor(log10(step))))
        let scale = pow(10, Double(min(decimals, 15)))
        return (v * scale).rounded() / scale
    }

    /// A tick label: SI suffixes from 10 000 up (50k, 1.2M), else just enough decimals.
    public func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 10_000 {
            for (limit, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where a >= limit {
                return trimmed(String(format: "%.2f", v / limit)) + suffix
            }
        }
        if a == 0 { return "0" }
        if a < 1e-3 { return String(format: "%.0e", v) }
        return trimmed(String(format: "%.6f", v))
    }

    private func trimmed(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var s = Substring(s)
        while s.hasSuffix("0") { s = s.dropLast() }
        if s.hasSuffix(".") { s = s.dropLast() }
        return String(s)
    }
}
