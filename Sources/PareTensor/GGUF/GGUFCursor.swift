/// A bounds-checked little-endian reader over a GGUF file's bytes. Every read checks the bytes
/// remain first, so a truncated or corrupt file is a `GGUFError`, never an out-of-bounds read.
/// `what` names the thing being read for the error message; it is an autoclosure so the common,
/// successful path builds no strings.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let source: String
    var position = 0

    var remaining: Int { bytes.count - position }

    func truncated(_ what: String, needing count: Int) -> GGUFError {
        GGUFError(.truncated, "\(source) is truncated: it ends at byte \(bytes.count), inside \(what) (which needs \(count) bytes from byte \(position)); re-download or re-create the file.")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw truncated(what(), needing: size) }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A GGUF string: a UInt64 byte length, then that many bytes of UTF-8 (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, what())
        guard length <= UInt64(remaining) else {
            position -= 8
            throw GGUFError(.truncated, "\(source) is truncated or corrupt: \(what()) at byte \(position) claims \(length) bytes, but only \(remaining - 8) remain in the file.")
        }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position ..< position + count])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw GGUFError(.invalidUTF8, "\(source) is corrupt: \(what()) at byte \(position) is not valid UTF-8.")
        }
        position += count
        return string
    }

    /// Refuses a count of items that could not fit in the bytes left (each item taking at least
    /// `minimumSize` bytes), before anything is allocated for them. A count beyond 2^32 is called
    /// absurd (no GGUF holds that many tensors, keys or array elements); a smaller one most
    /// likely means the file was cut short.
    func checkCount(_ count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= UInt64(remaining / max(minimumSize, 1)) else {
            throw GGUFError(count > UInt64(UInt32.max) ? .absurdCount : .truncated,
                            "\(source) is truncated or corrupt: it claims \(count) \(what()), more than the \(remaining) bytes left in the file could hold.")
        }
    }
}
