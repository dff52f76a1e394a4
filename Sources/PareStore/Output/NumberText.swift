import Foundation

/// How numbers are written: in full for machines (CSV, JSON), compactly for people (table).
public enum NumberText {
    /// The shortest text that reads back as the same Double; whole values without ".0"
    /// below 2^53, so sizes read as integers.
    static func full(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return String(Int64(d)) }
        return "\(d)"
    }

    /// About five significant digits: 0.98333, 12346, 1.2346e+06; whole values as integers.
    public static func compact(_ d: Double) -> String {
        if !d.isFinite { return d.isNaN ? "NaN" : (d > 0 ? "inf" : "-inf") }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(format: "%.5g", d)
    }
}
