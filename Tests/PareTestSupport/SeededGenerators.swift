import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): the seeded generator the test targets draw their test
/// data from, so a failure reproduces on every run and machine. Seeds map to the same values
/// the targets' own copies produced, so pinned expectations still hold.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(_ seed: UInt64) { state = seed }
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 24 bits (every value exact in Float).
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in [-1, 1) from the top 24 bits.
    public mutating func uniform() -> Float { unit() * 2 - 1 }

    /// Uniform in [-1, 1) from the top 53 bits.
    public mutating func uniformDouble() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }

    /// Standard normal by Box–Muller (two draws a value).
    public mutating func normal() -> Float {
        let u1 = max(unit(), 1e-7), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// xorshift64 (Marsaglia 2003) with the seed spread by the golden-ratio constant (and made odd,
/// so seed 0 works): the generator the store's and quantization tests were pinned to.
public struct XorShift64: Sendable {
    public var state: UInt64

    public init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    public mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// Uniform in 0..<n (modulo, so very slightly biased; fine for test data).
    public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Uniform in [lo, hi) from the top 24 bits.
    public mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
}
