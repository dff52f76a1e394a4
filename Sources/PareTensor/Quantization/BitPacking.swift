/// Bit packing of b-bit codes (b = 1…8), least significant bits first: code i of a row sits at
/// bits [i·b, (i+1)·b) of that row's little-endian bit stream. So 8-bit codes are one byte each,
/// 4-bit codes two a byte (code 2i in the low nibble, 2i+1 in the high one), 2-bit four a byte,
/// and 3-bit codes run across byte boundaries (8 codes in 3 bytes). Each row starts on a byte
/// boundary (rows × ⌈columns·b/8⌉ bytes), so kernels can address rows directly; for widths that
/// are multiples of 8 no bit is wasted.
///
/// Signed codes are stored as b-bit two's complement (8-bit signed codes are plain Int8),
/// unsigned ones as they are.
public enum BitPacking {
    public static func bytesPerRow(columns: Int, bits: Int) -> Int { (columns * bits + 7) / 8 }

    public static func pack(_ codes: [Int32], rows: Int, columns: Int, bits: Int) -> [UInt8] {
        precondition(codes.count == rows * columns, "pack: \(codes.count) codes for \(rows)×\(columns)")
        precondition((1...8).contains(bits))
        let rowBytes = bytesPerRow(columns: columns, bits: bits)
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        let mask = UInt32((1 << bits) - 1)
        out.withUnsafeMutableBufferPointer { o in
            codes.withUnsafeBufferPointer { c in
                for r in 0..<rows {
                    let base = r * rowBytes
                    switch bits {
                    case 8:
                        for j in 0..<columns { o[base + j] = UInt8(truncatingIfNeeded: c[r * columns + j]) }
                    case 4:
                        for j in 0..<columns {
                            let v = UInt8(truncatingIfNeeded: UInt32(bitPattern: c[r * columns + j]) & mask)
                            o[base + j / 2] |= (j & 1 == 0) ? v : v << 4
                        }
                    default:
                        var bit = 0
                        for j in 0..<columns {
                            let v = UInt32(bitPattern: c[r * columns + j]) & mask
                            let byte = bit >> 3, shift = bit & 7
                            o[base + byte] |= UInt8(truncatingIfNeeded: v << shift)
                            if shift + bits > 8 { o[base + byte + 1] |= UInt8(truncatingIfNeeded: v >> (8 - shift)) }
                            bit += bits
                        }
                    }
                }
            }
        }
        return out
    }

    public static func unpack(_ packed: [UInt8], rows: Int, columns: Int, bits: Int, signed: Bool) -> [Int32] {
        let rowBytes = bytesPerRow(columns: columns, bits: bits)
        precondition(packed.count == rows * rowBytes, "unpack: \(packed.count) bytes for \(rows)×\(columns) at \(bits) bits")
        var out = [Int32](repeating: 0, count: rows * columns)
        packed.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                unpackRow(p.baseAddress! + r * rowBytes, columns: columns, bits: bits, signed: signed,
                          into: &out, at: r * columns)
            }
        }
        return out
    }

    /// Unpacks one row of `columns` codes starting at `row` into out[offset...].
    @inline(__always)
    static func unpackRow(_ row: UnsafePointer<UInt8>, columns: Int, bits: Int, signed: Bool,
                          into out: inout [Int32], at offset: Int) {
        // Whole-byte and nibble codes unpack with simple loops the compiler vectorizes.
        if bits == 8 {
            out.withUnsafeMutableBufferPointer { o in
                if signed {
                    for j in 0..<columns { o[offset + j] = Int32(Int8(bitPattern: row[j])) }
                } else {
                    for j in 0..<columns { o[offset + j] = Int32(row[j]) }
                }
            }
            return
        }
        if bits == 4 {
            out.withUnsafeMutableBufferPointer { o in
                for j in 0..<columns {
                    let v = Int32((row[j >> 1] >> UInt8((j & 1) << 2)) & 0xF)
                    o[offset + j] = signed && v >= 8 ? v - 16 : v
                }
            }
            return
        }
        let mask = UInt32((1 << bits) - 1)
        let signBit = UInt32(1) << (bits - 1)
        var bit = 0
        for j in 0..<columns {
            let byte = bit >> 3, shift = bit & 7
            var v = UInt32(row[byte]) >> shift
            if shift + bits > 8 { v |= UInt32(row[byte + 1]) << (8 - shift) }
            v &= mask
            var code = Int32(bitPattern: v)
            if signed && v & signBit != 0 { code -= Int32(1) << bits }
            out[offset + j] = code
            bit += bits
        }
    }

    /// Code `j` of a packed row (scalar; tails and tests).
    @inline(__always)
    public static func code(_ row: UnsafePointer<UInt8>, _ j: Int, bits: Int, signed: Bool) -> Int32 {
        let bit = j * bits, byte = bit >> 3, shift = bit & 7
        var v = UInt32(row[byte]) >> shift
        if shift + bits > 8 { v |= UInt32(row[byte + 1]) << (8 - shift) }
        v &= UInt32((1 << bits) - 1)
        var c = Int32(bitPattern: v)
        if signed && v & (UInt32(1) << (bits - 1)) != 0 { c -= Int32(1) << bits }
        return c
    }
}
