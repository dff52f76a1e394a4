import Foundation

/// SplitMix64: a tiny seeded generator so test data is the same on every run.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func normal() -> Float {
        let u1 = max(Float(next() >> 40) / Float(1 << 24), 1e-7), u2 = Float(next() >> 40) / Float(1 << 24)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
