import Foundation

/// A GGUF file (llama.cpp's model format, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md),
/// versions 2 and 3, little-endian:
///
///     "GGUF"  UInt32 version  UInt64 tensor_count  UInt64 metadata_kv_count
///     metadata_kv_count × (string key, UInt32 value_type, value)
///     tensor_count × (string name, UInt32 n_dims, n_dims × UInt64 ne, UInt32 ggml_type, UInt64 offset)
///     padding to `general.alignment` (default 32), then the data section; each tensor's bytes
///     start `offset` bytes into it.
///
/// Strings are a UInt64 byte length and UTF-8 bytes; an array is a UInt32 element type, a UInt64
/// count and the elements. The file is memory-mapped and its header parsed and checked when
/// opened (every count against the bytes left, every tensor's bytes inside the file); tensors
/// are decoded only when asked for.
public struct GGUFFile: Sendable {
    /// Where the file came from (its path), for messages.
    public let source: String
    public let version: UInt32
    /// Every metadata value by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// The data section's alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// The data section's absolute byte offset in the file.
    public let dataOffset: Int

    let storage: GGUFStorage
    let tensorIndex: [String: Int]

    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS: llama.cpp refuses tensors of more dimensions.
    public static let maxDimensions = 4
    /// Arrays of arrays deeper than this are refused (a corrupt file could otherwise nest millions deep).
    static let maxArrayNesting = 8

    /// The file's size in bytes.
    public var byteCount: Int { storage.bytes.count }

    /// Memory-maps and parses the file at `url`.
    public static func open(_ url: URL) throws(GGUFError) -> GGUFFile {
        try GGUFFile(storage: GGUFStorage(mapping: url.path), source: url.path)
    }

    /// Parses a GGUF file held in memory (a private copy of `bytes` is kept).
    public static func parse(bytes: [UInt8], source: String = "<memory>") throws(GGUFError) -> GGUFFile {
        try GGUFFile(storage: GGUFStorage(copying: bytes), source: source)
    }

    init(storage: GGUFStorage, source: String) throws(GGUFError) {
        var cursor = GGUFCursor(bytes: storage.bytes, source: source)
        version = try Self.readPreamble(&cursor)

        let tensorCount = try cursor.read(UInt64.self, "the tensor count")
        let keyCount = try cursor.read(UInt64.self, "the metadata key count")
        // A metadata entry takes at least a key length, a type and one byte; a tensor info at
        // least a name length, n_dims, a type and an offset.
        try cursor.checkCount(keyCount, minimumSize: 8 + 4 + 1, "metadata keys")
        try cursor.checkCount(tensorCount, minimumSize: 8 + 4 + 4 + 8, "tensors")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(Int(keyCount))
        keys.reserveCapacity(Int(keyCount))
        for i in 0 ..< Int(keyCount) {
            let key = try cursor.readString("the key of metadata entry \(i)")
            let rawType = try cursor.read(UInt32.self, "the value type of metadata key '\(key)'")
            let value = try Self.readValue(&cursor, rawType: rawType, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError(.duplicateName, "\(source) is corrupt: it has metadata key '\(key)' twice.")
            }
            keys.append(key)
        }

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0 else {
                throw GGUFError(.invalidAlignment, "\(source) is corrupt: general.alignment is \(value), not a positive power of two.")
            }
            alignment = a
        }

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(Int(tensorCount))
        index.reserveCapacity(Int(tensorCount))
        for i in 0 ..< Int(tensorCount) {
            let info = try Self.readTensorInfo(&cursor, number: i)
            guard index.updateValue(i, forKey: info.name) == nil else {
                throw GGUFError(.duplicateName, "\(source) is corrupt: it has two tensors named '\(info.name)'.")
            }
            tensors.append(info)
        }

        let remainder = cursor.position % alignment
        let dataOffset = remainder == 0 ? cursor.position : cursor.position + (alignment - remainder)
        for info in tensors {
            let (start, overflow1) = dataOffset.addingReportingOverflow(info.offset)
            let (end, overflow2) = start.addingReportingOverflow(info.byteCount)
            guard !overflow1, !overflow2, end <= storage.bytes.count else {
                let location = overflow1 || overflow2 ? "at offset \(info.offset)" : "at bytes \(start)..<\(end)"
                throw GGUFError(.tensorOutOfBounds, "\(source) is truncated or corrupt: tensor '\(info.name)' (\(info.type.name), shape \(info.shape)) lies \(location), past the file's end at byte \(storage.bytes.count).")
            }
        }

        self.source = source
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensors = tensors
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.storage = storage
        self.tensorIndex = index
    }

    // MARK: Header pieces

    /// Checks the magic and returns the version, refusing anything but little-endian v2/v3.
    static func readPreamble(_ cursor: inout GGUFCursor) throws(GGUFError) -> UInt32 {
        let magic = Array("GGUF".utf8)
        let head = Array(cursor.bytes.prefix(4))
        guard head == magic else {
            if head.count < 4, magic.starts(with: head) { throw cursor.truncated("the 4-byte magic \"GGUF\"", needing: 4) }
            let shown = head.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw GGUFError(.notGGUF, "\(cursor.source) is not a GGUF file: it starts with bytes \(shown.isEmpty ? "(none)" : shown), not the magic \"GGUF\".")
        }
        cursor.position = 4
        let version = try cursor.read(UInt32.self, "the version number")
        guard version == 2 || version == 3 else {
            let source = cursor.source
            if (1 ... 3).contains(version.byteSwapped) {
                throw GGUFError(.unsupportedVersion, "\(source) is a big-endian GGUF file (version \(version.byteSwapped)); Pare reads little-endian GGUF only, so convert it (gguf-py's gguf_convert_endian) first.")
            }
            if version == 1 {
                throw GGUFError(.unsupportedVersion, "\(source) is GGUF version 1, which Pare does not read (only versions 2 and 3); re-convert the model with a current llama.cpp.")
            }
            throw GGUFError(.unsupportedVersion, "\(source) has GGUF version \(version); Pare reads versions 2 and 3 only.")
        }
        return version
    }

    static func readValue(_ cursor: inout GGUFCursor, rawType: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw GGUFError(.invalidValueType, "\(cursor.source) is corrupt: metadata key '\(key)' has value type id \(rawType), which GGUF does not define.")
        }
        return try readValue(&cursor, type: type, key: key, depth: depth)
    }

    static func readValue(_ c: inout GGUFCursor, type: GGUFValueType, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try c.read(UInt8.self, "the value of metadata key '\(key)'"))
        case .int8: return .int8(try c.read(Int8.self, "the value of metadata key '\(key)'"))
        case .uint16: return .uint16(try c.read(UInt16.self, "the value of metadata key '\(key)'"))
        case .int16: return .int16(try c.read(Int16.self, "the value of metadata key '\(key)'"))
        case .uint32: return .uint32(try c.read(UInt32.self, "the value of metadata key '\(key)'"))
        case .int32: return .int32(try c.read(Int32.self, "the value of metadata key '\(key)'"))
        case .uint64: return .uint64(try c.read(UInt64.self, "the value of metadata key '\(key)'"))
        case .int64: return .int64(try c.read(Int64.self, "the value of metadata key '\(key)'"))
        case .float32: return .float32(try c.readFloat("the value of metadata key '\(key)'"))
        case .float64: return .float64(try c.readDouble("the value of metadata key '\(key)'"))
        // ggml writes 0 or 1; any other byte is read as true, as C would.
        case .bool: return .bool(try c.read(UInt8.self, "the value of metadata key '\(key)'") != 0)
        case .string: return .string(try c.readString("the string value of metadata key '\(key)'"))
        case .array:
            guard depth < maxArrayNesting else {
                throw GGUFError(.invalidValueType, "\(c.source) is corrupt: metadata key '\(key)' nests arrays more than \(maxArrayNesting) deep.")
            }
            let rawElement = try c.read(UInt32.self, "the element type of metadata array '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawElement) else {
                throw GGUFError(.invalidValueType, "\(c.source) is corrupt: metadata array '\(key)' has element type id \(rawElement), which GGUF does not define.")
            }
            let count = try c.read(UInt64.self, "the length of metadata array '\(key)'")
            try c.checkCount(count, minimumSize: elementType.minimumSize, "elements in metadata array '\(key)'")
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                elements.append(try readValue(&c, type: elementType, key: key, depth: depth + 1))
            }
            return .array(elementType: elementType, elements: elements)
        }
    }

    static func readTensorInfo(_ c: inout GGUFCursor, number: Int) throws(GGUFError) -> GGUFTensorInfo {
        let name = try c.readString("the name of tensor \(number)")
        let source = c.source
        let dimensionCount = try c.read(UInt32.self, "the dimension count of tensor '\(name)'")
        guard dimensionCount <= maxDimensions else {
            throw GGUFError(.invalidTensorShape, "\(source) is corrupt: tensor '\(name)' claims \(dimensionCount) dimensions, but GGUF allows at most \(maxDimensions).")
        }
        var dimensions: [Int] = []
        var elements = 1
        for d in 0 ..< Int(dimensionCount) {
            let raw = try c.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
            let product = Int(exactly: raw).map { elements.multipliedReportingOverflow(by: $0) }
            guard let product, !product.overflow else {
                throw GGUFError(.invalidTensorShape, "\(source) is corrupt: tensor '\(name)' has dimensions too large to address (dimension \(d) is \(raw)).")
            }
            dimensions.append(Int(raw))
            elements = product.partialValue
        }
        let rawType = try c.read(UInt32.self, "the type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError(.unknownTensorType, "\(source) has tensor '\(name)' of ggml type id \(rawType), which is not a type ggml defines (the file is corrupt, or newer than Pare).")
        }
        let offset = try c.read(UInt64.self, "the data offset of tensor '\(name)'")
        let rowLength = dimensions.first ?? 1
        guard rowLength % type.blockSize == 0, let byteCount = type.byteCount(forValues: elements) else {
            throw GGUFError(.invalidTensorShape, "\(source) is corrupt: tensor '\(name)' is \(type.name) with rows of \(rowLength) values, not a whole number of its \(type.blockSize)-value blocks.")
        }
        guard let start = Int(exactly: offset) else {
            throw GGUFError(.tensorOutOfBounds, "\(source) is corrupt: tensor '\(name)' has data offset \(offset), past any file's end.")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: start, byteCount: byteCount)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
