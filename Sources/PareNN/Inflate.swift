/// gzip (RFC 1952) and DEFLATE (RFC 1951) decompression in Swift, so Pare reads `.gz`
/// datasets on a machine without zlib headers (Foundation on Linux has no gzip API, and zlib
/// is not importable from Swift without a module map). Stored, fixed-Huffman and
/// dynamic-Huffman blocks; Huffman codes decoded through one lookup table per code; the gzip
/// CRC-32 and length are checked. Several concatenated gzip members are read as one stream.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed contents of a gzip file.
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        repeat {
            offset = try member(bytes, at: offset, into: &output)
            // Trailing zero padding after the last member is allowed (tar does it).
            while offset < bytes.count && bytes[offset] == 0 { offset += 1 }
        } while offset < bytes.count
        return output
    }

    /// Reads one gzip member starting at `start`, appending its data; returns the offset after it.
    private static func member(_ bytes: [UInt8], at start: Int, into output: inout [UInt8]) throws -> Int {
        guard bytes.count - start >= 18 else { throw InflateError("gzip data is truncated (a member needs at least 18 bytes, \(bytes.count - start) left)") }
        guard bytes[start] == 0x1f, bytes[start + 1] == 0x8b else {
            throw InflateError("not gzip data (magic \(hex(bytes[start])) \(hex(bytes[start + 1])), expected 1f 8b)")
        }
        guard bytes[start + 2] == 8 else { throw InflateError("gzip compression method \(bytes[start + 2]) is not deflate (8)") }
        let flags = bytes[start + 3]
        var offset = start + 10
        func need(_ n: Int) throws {
            guard offset + n <= bytes.count else { throw InflateError("gzip header is truncated") }
        }
        if flags & 0x04 != 0 {          // FEXTRA
            try need(2)
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            offset += 2
            try need(length)
            offset += length
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
            while true {
                try need(1)
                offset += 1
                if bytes[offset - 1] == 0 { break }
            }
        }
        if flags & 0x02 != 0 { try need(2); offset += 2 }   // FHCRC
        let before = output.count
        // The trailer's length (mod 2³²) is a good guess of the size for one-member files.
        let sizeHint = Int(readLE32(bytes, bytes.count - 4))
        if sizeHint < 1 << 31 { output.reserveCapacity(before + sizeHint) }
        offset = try Inflate.decompress(bytes, from: offset, into: &output)
        guard offset + 8 <= bytes.count else { throw InflateError("gzip data is truncated (the CRC-32 and length trailer is missing)") }
        let crc = readLE32(bytes, offset), size = readLE32(bytes, offset + 4)
        let produced = output.count - before
        guard UInt32(truncatingIfNeeded: produced) == size else {
            throw InflateError("gzip length check failed: the trailer says \(size) bytes, the data decompressed to \(produced)")
        }
        guard CRC32.checksum(output[before...]) == crc else { throw InflateError("gzip CRC-32 check failed: the data is corrupt") }
        return offset + 8
    }

    private static func readLE32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}

/// Corrupt or truncated compressed data.
public struct InflateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// CRC-32 (IEEE 802.3, reflected, as gzip and zip use it).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// A raw DEFLATE decoder.
public enum Inflate {
    /// Decodes the DEFLATE stream starting at byte `start`, appending to `output`; returns the
    /// offset of the first byte after the stream (rounded up to a whole byte).
    public static func decompress(_ bytes: [UInt8], from start: Int = 0, into output: inout [UInt8]) throws -> Int {
        var reader = BitReader(bytes: bytes, position: start)
        var final = false
        while !final {
            final = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                try stored(&reader, &output)
            case 1:
                try codes(&reader, &output, literal: fixedLiteral, distance: fixedDistance)
            case 2:
                let (literal, distance) = try dynamicTables(&reader)
                try codes(&reader, &output, literal: literal, distance: distance)
            default:
                throw InflateError("deflate data uses the reserved block type 3 (corrupt data)")
            }
        }
        return reader.byteOffsetAfterAlignment
    }

    private static func stored(_ reader: inout BitReader, _ output: inout [UInt8]) throws {
        reader.alignToByte()
        let length = try reader.bits(16), complement = try reader.bits(16)
        guard length == ~complement & 0xFFFF else { throw InflateError("deflate stored block length check failed (corrupt data)") }
        try reader.copyBytes(length, into: &output)
    }

    // Base values and extra bits for length codes 257…285 and distance codes 0…29.
    private static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                            35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                             3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                              257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                              8193, 12289, 16385, 24577]
    private static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                               7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    private static let fixedLiteral: Huffman = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return try! Huffman(lengths: lengths)
    }()
    private static let fixedDistance: Huffman = try! Huffman(lengths: [Int](repeating: 5, count: 30))

    private static func dynamicTables(_ reader: inout BitReader) throws -> (Huffman, Huffman) {
        let literalCount = try reader.bits(5) + 257
        let distanceCount = try reader.bits(5) + 1
        let codeLengthCount = try reader.bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw InflateError("deflate block declares too many codes (corrupt data)") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[order[i]] = try reader.bits(3) }
        let codeLengthCode = try Huffman(lengths: codeLengthLengths)
        var lengths: [Int] = []
        let total = literalCount + distanceCount
        while lengths.count < total {
            let symbol = try codeLengthCode.decode(&reader)
            switch symbol {
            case 0..<16:
                lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw InflateError("deflate code lengths repeat before any length (corrupt data)") }
                lengths += [Int](repeating: previous, count: 3 + (try reader.bits(2)))
            case 17:
                lengths += [Int](repeating: 0, count: 3 + (try reader.bits(3)))
            default:
                lengths += [Int](repeating: 0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == total else { throw InflateError("deflate code lengths overrun the table (corrupt data)") }
        guard lengths[256] > 0 else { throw InflateError("deflate block has no end-of-block code (corrupt data)") }
        return (try Huffman(lengths: Array(lengths[0..<literalCount])),
                try Huffman(lengths: Array(lengths[literalCount...])))
    }

    private static func codes(_ reader: inout BitReader, _ output: inout [UInt8], literal: Huffman, distance: Huffman) throws {
        while true {
            let symbol = try literal.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < 29 else { throw InflateError("deflate length code \(symbol) is invalid (corrupt data)") }
                let length = lengthBase[index] + (try reader.bits(lengthExtra[index]))
                let d = try distance.decode(&reader)
                guard d < 30 else { throw InflateError("deflate distance code \(d) is invalid (corrupt data)") }
                let back = distanceBase[d] + (try reader.bits(distanceExtra[d]))
                guard back <= output.count else {
                    throw InflateError("deflate data refers \(back) bytes back with only \(output.count) decoded (corrupt data)")
                }
                // Byte by byte: the source may overlap what is being written (back < length), and
                // appending a slice of `output` to itself would copy the whole buffer each time.
                var from = output.count - back
                for _ in 0..<length {
                    output.append(output[from])
                    from += 1
                }
            }
        }
    }
}

/// Reads bits least-significant first, as DEFLATE packs them.
struct BitReader {
    let bytes: [UInt8]
    var position: Int          // next byte to load into `buffer`
    var buffer: UInt64 = 0
    var count = 0              // valid bits in `buffer`

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Loads whole bytes while there is room; past the end nothing is loaded.
    @inline(__always)
    mutating func refill() {
        while count <= 56 && position < bytes.count {
            buffer |= UInt64(bytes[position]) << UInt64(count)
            position += 1
            count += 8
        }
    }

    mutating func bits(_ n: Int) throws -> Int {
        if n == 0 { return 0 }
        if count < n {
            refill()
            guard count >= n else { throw InflateError("compressed data is truncated (the deflate stream ends early)") }
        }
        let value = Int(buffer & ((1 << UInt64(n)) - 1))
        buffer >>= UInt64(n)
        count -= n
        return value
    }

    /// Up to `n` bits without consuming them (fewer at the very end of the data), and how many are valid.
    @inline(__always)
    mutating func peek(_ n: Int) -> (value: Int, available: Int) {
        if count < n { refill() }
        return (Int(buffer & ((1 << UInt64(n)) - 1)), min(count, n))
    }

    @inline(__always)
    mutating func consume(_ n: Int) {
        buffer >>= UInt64(n)
        count -= n
    }

    mutating func alignToByte() {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
    }

    /// Copies `n` raw bytes (after `alignToByte`).
    mutating func copyBytes(_ n: Int, into output: inout [UInt8]) throws {
        var remaining = n
        while remaining > 0 && count >= 8 {
            output.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
            remaining -= 1
        }
        guard position + remaining <= bytes.count else { throw InflateError("compressed data is truncated (a stored block ends early)") }
        output.append(contentsOf: bytes[position..<(position + remaining)])
        position += remaining
    }

    /// The byte offset just after the last consumed bit.
    var byteOffsetAfterAlignment: Int { position - count / 8 }
}

/// A canonical Huffman code, decoded through a table indexed by the next `maxLength` bits.
struct Huffman {
    /// entry = symbol << 4 | code length; 0 = no code (corrupt data).
    private let table: [UInt32]
    private let maxLength: Int

    init(lengths: [Int]) throws {
        let maxLength = max(lengths.max() ?? 0, 1)
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths where l > 0 { counts[l] += 1 }
        // Over-subscribed code sets are corrupt; incomplete ones are allowed (one-code distance tables).
        var left = 1
        for l in 1...15 {
            left = left * 2 - counts[l]
            guard left >= 0 else { throw InflateError("deflate Huffman code is over-subscribed (corrupt data)") }
        }
        // The first code of each length (RFC 1951 §3.2.2).
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for l in 1...15 { next[l] = code; code = (code + counts[l]) << 1 }
        var table = [UInt32](repeating: 0, count: 1 << maxLength)
        for (symbol, length) in lengths.enumerated() where length > 0 {
            let c = next[length]
            next[length] += 1
            var reversed = 0
            for i in 0..<length where c & (1 << i) != 0 { reversed |= 1 << (length - 1 - i) }
            let entry = UInt32(symbol) << 4 | UInt32(length)
            var index = reversed
            while index < table.count {
                table[index] = entry
                index += 1 << length
            }
        }
        self.table = table
        self.maxLength = maxLength
    }

    @inline(__always)
    func decode(_ reader: inout BitReader) throws -> Int {
        let (bits, available) = reader.peek(maxLength)
        let entry = table[bits]
        let length = Int(entry & 15)
        guard length > 0 else { throw InflateError("deflate data holds an invalid Huffman code (corrupt data)") }
        guard length <= available else { throw InflateError("compressed data is truncated (the deflate stream ends early)") }
        reader.consume(length)
        return Int(entry >> 4)
    }
}
