import CZlib

/// gzip data that cannot be decompressed: not gzip, truncated, or corrupt.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// gunzip through the system zlib (RFC 1952 members, CRC-32 and length checked by zlib).
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed contents of gzip data; members written one after another read as one
    /// stream, and zero padding after the last member (as tar leaves) is ignored.
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        guard isGzip(bytes) else {
            throw GzipError("not gzip data: it does not start with the gzip magic number 1f 8b")
        }
        var stream = z_stream()
        // 15 window bits + 16: expect a gzip header and trailer, not a zlib one.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError("zlib could not start a gzip decoder (out of memory?)")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        try bytes.withUnsafeBufferPointer { input in
            var offset = 0
            while true {
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                stream.avail_in = UInt32(input.count - offset)
                var status: Int32 = Z_OK
                repeat {
                    status = chunk.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                switch status {
                case Z_STREAM_END:
                    break
                case Z_OK, Z_BUF_ERROR:
                    throw GzipError("gzip data is truncated: it ends inside a member after \(input.count) bytes")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw GzipError("gzip data is corrupt: \(reason)")
                }
                offset = input.count - Int(stream.avail_in)
                while offset < input.count && input[offset] == 0 { offset += 1 }
                if offset == input.count { return }
                guard inflateReset(&stream) == Z_OK else { throw GzipError("zlib could not restart for the next gzip member") }
            }
        }
        return output
    }
}
