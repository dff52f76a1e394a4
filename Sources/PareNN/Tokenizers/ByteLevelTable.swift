/// GPT-2's reversible map from the 256 byte values to printable Unicode characters, so a byte-level
/// BPE vocabulary can be stored as text: printable Latin-1 bytes map to themselves, the other 68
/// (controls, space, 0x7F-0xA0, 0xAD) to U+0100 onwards in byte order ("Ġ" is the space, "Ċ" \n).
public enum ByteLevelTable {
    /// `scalar[b]` is the character that stands for byte `b`.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!  // 256..<324: always valid scalars
                next += 1
            }
        }
        return table
    }()

    /// The inverse map: the byte a character stands for, or nil if it stands for none.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            let b = Int(v)
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            return printable ? UInt8(b) : nil
        }
        return v < 324 ? byteForExtra[Int(v - 256)] : nil
    }

    private static let byteForExtra: [UInt8] = {
        var out = [UInt8](repeating: 0, count: 68)
        for b in 0..<256 where scalarForByte[b].value >= 256 { out[Int(scalarForByte[b].value - 256)] = UInt8(b) }
        return out
    }()

    /// A byte string written in the table's characters (a vocabulary entry).
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }
}
