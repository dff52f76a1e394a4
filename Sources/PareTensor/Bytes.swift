/// Little-endian conversion between numeric arrays and bytes, shared by safetensors and the
/// weight encodings. (Every platform Swift runs Pare on is little-endian; the asserts say so.)
public enum Bytes {
    public static func of<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
        out.withUnsafeMutableBytes { raw in
            values.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        return out
    }

    public static func of(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        out.withUnsafeMutableBytes { raw in values.withUnsafeBytes { raw.copyMemory(from: $0) } }
        return out
    }

    /// Reads `count` values of T starting at byte `offset` (unaligned reads are fine).
    public static func read<T>(_ type: T.Type, from bytes: some Collection<UInt8>, offset: Int = 0, count: Int) -> [T]
    where T: BitwiseCopyable {
        precondition(littleEndian)
        let size = MemoryLayout<T>.size
        let array = Array(bytes.dropFirst(offset).prefix(count * size))
        precondition(array.count == count * size, "Bytes.read: need \(count * size) bytes, have \(array.count)")
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            array.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            initialized = count
        }
    }

    public static let littleEndian: Bool = 1.littleEndian == 1
}
