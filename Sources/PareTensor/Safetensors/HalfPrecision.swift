/// Bit-exact conversions between Float32 and the 16-bit float formats safetensors stores
/// (IEEE 754 binary16 "F16" and bfloat16 "BF16"). Float → 16-bit rounds to nearest, ties to
/// even, overflows to ±infinity, keeps ±0, subnormals and NaN (quieted). 16-bit → Float is exact.
public enum HalfPrecision {
    /// IEEE binary16 bits of `value`, rounded to nearest even.
    @inlinable
    public static func f16Bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xFF)
        let mantissa = x & 0x7F_FFFF
        if exponent == 0xFF {  // infinity or NaN
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)  // quiet NaN, keep payload
        }
        let e = exponent - 127 + 15  // biased binary16 exponent
        if e >= 0x1F { return sign | 0x7C00 }  // too large: ±infinity
        if e <= 0 {
            // Subnormal (or zero) in binary16: value = m × 2^-24.
            if e < -10 { return sign }  // below half the smallest subnormal: ±0
            let full = mantissa | 0x80_0000
            let shift = UInt32(14 - e)  // 14 ... 24
            var q = full >> shift
            let r = full & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if r > halfway || (r == halfway && q & 1 == 1) { q += 1 }  // may carry into the smallest normal: correct
            return sign | UInt16(truncatingIfNeeded: q)
        }
        var h = (UInt32(e) << 10) | (mantissa >> 13)
        let r = mantissa & 0x1FFF
        if r > 0x1000 || (r == 0x1000 && h & 1 == 1) { h += 1 }  // a carry into the exponent is correct (up to infinity)
        return sign | UInt16(truncatingIfNeeded: h)
    }

    /// The Float32 value of IEEE binary16 bits (exact).
    @inlinable
    public static func float(f16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // ±0 or subnormal: m × 2^-24, exact in Float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits of `value` (the top half of the Float32), rounded to nearest even.
    @inlinable
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }  // quiet NaN
        let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// The Float32 value of bfloat16 bits (exact).
    @inlinable
    public static func float(bf16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` rounded to the nearest binary16 value, as Float32.
    public static func roundedToF16(_ value: Float) -> Float { float(f16: f16Bits(value)) }
    /// `value` rounded to the nearest bfloat16 value, as Float32.
    public static func roundedToBF16(_ value: Float) -> Float { float(bf16: bf16Bits(value)) }
}
