import Foundation

/// One tensor to write: its block bytes already in `type`'s encoding.
public struct GGUFTensorData: Sendable {
    public var name: String
    /// ggml's order: ne[0] (a row's length) first, so a weight [out, in] is [in, out].
    public var dimensions: [Int]
    public var type: GGMLType
    public var bytes: [UInt8]

    public init(name: String, dimensions: [Int], type: GGMLType, bytes: [UInt8]) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.bytes = bytes
    }

    /// A row-major [rows, columns] (PyTorch order) tensor: GGUF stores its dimensions reversed.
    public init(name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) {
        self.init(name: name, dimensions: shape.reversed(), type: type, bytes: bytes)
    }
}

/// Writes a GGUF v3 file (the layout `GGUFFile` reads, little-endian): header, metadata in the
/// order given, tensor infos, padding to `general.alignment` (32 unless the metadata says
/// otherwise), then each tensor's bytes at an aligned offset. Everything is checked before a
/// byte is written, so a bad tensor never leaves a half-written file behind.
public struct GGUFWriter: Sendable {
    public var metadata: [(key: String, value: GGUFValue)]
    public var tensors: [GGUFTensorData]

    public init(metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorData]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The data section's alignment: `general.alignment` when present (checked), else 32.
    public func alignment() throws(GGUFError) -> Int {
        guard let value = metadata.first(where: { $0.key == "general.alignment" })?.value else { return GGUFFile.defaultAlignment }
        guard let a = value.intValue, a > 0, a & (a - 1) == 0 else {
            throw GGUFError(.invalidAlignment, "general.alignment must be a positive power of two, not \(value).")
        }
        return a
    }

    /// The whole file in memory (for tests and small files).
    public func bytes() throws(GGUFError) -> [UInt8] {
        var out = try header()
        for (tensor, padding) in try layout() {
            out += tensor.bytes
            out += [UInt8](repeating: 0, count: padding)
        }
        return out
    }

    /// Streams the file into `handle` (the caller owns temporary-file-and-rename).
    public func write(to handle: FileHandle) throws {
        try handle.write(contentsOf: Data(try header()))
        for (tensor, padding) in try layout() {
            try handle.write(contentsOf: Data(tensor.bytes))
            if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
        }
    }

    /// Everything before the data section, padded to the alignment.
    func header() throws(GGUFError) -> [UInt8] {
        try check()
        let alignment = try alignment()
        var out = GGUFBytes()
        out.raw(Array("GGUF".utf8))
        out.int(UInt32(3))
        out.int(UInt64(tensors.count))
        out.int(UInt64(metadata.count))
        for (key, value) in metadata {
            out.string(key)
            out.int(value.type.rawValue)
            out.value(value)
        }
        var offset = 0
        for t in tensors {
            out.string(t.name)
            out.int(UInt32(t.dimensions.count))
            for d in t.dimensions { out.int(UInt64(d)) }
            out.int(t.type.rawValue)
            out.int(UInt64(offset))
            offset += Self.padded(t.bytes.count, to: alignment)
        }
        out.raw([UInt8](repeating: 0, count: Self.padded(out.bytes.count, to: alignment) - out.bytes.count))
        return out.bytes
    }

    /// Each tensor with the zero bytes that follow it up to the next aligned offset.
    func layout() throws(GGUFError) -> [(GGUFTensorData, Int)] {
        let alignment = try alignment()
        return tensors.map { ($0, Self.padded($0.bytes.count, to: alignment) - $0.bytes.count) }
    }

    static func padded(_ n: Int, to alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Refuses what `GGUFFile` (and llama.cpp) would refuse on reading.
    func check() throws(GGUFError) {
        var keys = Set<String>(), names = Set<String>()
        for (key, _) in metadata where !keys.insert(key).inserted {
            throw GGUFError(.duplicateName, "metadata key '\(key)' is given twice.")
        }
        for t in tensors {
            guard names.insert(t.name).inserted else { throw GGUFError(.duplicateName, "tensor '\(t.name)' is given twice.") }
            guard (1...GGUFFile.maxDimensions).contains(t.dimensions.count), t.dimensions.allSatisfy({ $0 > 0 }) else {
                throw GGUFError(.invalidTensorShape, "tensor '\(t.name)' has dimensions \(t.dimensions); GGUF needs 1 to \(GGUFFile.maxDimensions) positive ones.")
            }
            let count = t.dimensions.reduce(1, *)
            guard t.dimensions[0] % t.type.blockSize == 0, t.type.byteCount(forValues: count) == t.bytes.count else {
                throw GGUFError(.invalidTensorShape, "tensor '\(t.name)' (\(t.type.name), dimensions \(t.dimensions)) has \(t.bytes.count) bytes, not whole \(t.type.blockSize)-value blocks of its \(count) values.")
            }
        }
    }
}

/// Little-endian serialization of GGUF's header pieces.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func raw(_ b: [UInt8]) { bytes += b }

    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(UInt64(utf8.count))
        bytes += utf8
    }

    /// The value's payload (its type id is written by the caller: an array's elements have none).
    mutating func value(_ v: GGUFValue) {
        switch v {
        case let .uint8(x): int(x)
        case let .int8(x): int(x)
        case let .uint16(x): int(x)
        case let .int16(x): int(x)
        case let .uint32(x): int(x)
        case let .int32(x): int(x)
        case let .uint64(x): int(x)
        case let .int64(x): int(x)
        case let .float32(x): int(x.bitPattern)
        case let .float64(x): int(x.bitPattern)
        case let .bool(x): int(UInt8(x ? 1 : 0))
        case let .string(s): string(s)
        case let .array(elementType, elements):
            int(elementType.rawValue)
            int(UInt64(elements.count))
            for e in elements { value(e) }
        }
    }
}
