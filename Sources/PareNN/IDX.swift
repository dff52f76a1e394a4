import Foundation
import PareTensor

/// The IDX format of MNIST and its family (Fashion-MNIST, KMNIST, EMNIST), raw or gzip:
/// a 4-byte magic number — two zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte,
/// 0x0B Int16, 0x0C Int32, 0x0D Float32, 0x0E Float64) and the number of dimensions — then
/// each dimension as a big-endian UInt32, then the values, big-endian, row-major.
public enum IDX {
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E
        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    /// One IDX array: its element type, shape and values (as Float; exact for the integer types
    /// up to 2^24, which covers every IDX data set).
    public struct Array: Sendable, Equatable {
        public var type: ElementType
        public var shape: [Int]
        public var values: [Float]
    }

    /// Reads an IDX file (gzip-compressed or not; recognized by content, not by name).
    public static func read(path: String) throws -> Array {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IDXError("cannot read IDX file \(path): it does not exist or is not readable.")
        }
        return try parse([UInt8](data), name: path)
    }

    /// Parses IDX bytes (gunzipping first when they start with the gzip magic number).
    public static func parse(_ raw: [UInt8], name: String = "IDX data") throws -> Array {
        var bytes = raw
        if Gzip.isGzip(raw) {
            do { bytes = try Gzip.decompress(raw) } catch let error as GzipError {
                throw IDXError("\(name) is gzip data that cannot be decompressed: \(error.description).")
            }
        }
        guard bytes.count >= 4 else {
            throw IDXError("\(name) is truncated: \(bytes.count) bytes, too short for the 4-byte IDX magic number.")
        }
        let magic = bytes[0..<4].map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        guard bytes[0] == 0, bytes[1] == 0, let type = ElementType(rawValue: bytes[2]), bytes[3] >= 1 else {
            throw IDXError("\(name) has a bad magic number 0x\(magic): not an IDX file (MNIST images start 0x00000803, labels 0x00000801).")
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw IDXError("\(name) is truncated: its header needs \(headerSize) bytes for \(rank) dimensions, the file has \(bytes.count).")
        }
        var shape: [Int] = []
        var count = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            shape.append(size)
            count *= size
        }
        let needed = headerSize + count * type.size
        guard bytes.count >= needed else {
            throw IDXError("\(name) is truncated: shape \(shape) of \(type) needs \(needed) bytes, the file has \(bytes.count).")
        }
        guard bytes.count == needed else {
            throw IDXError("\(name) has \(bytes.count - needed) bytes after the \(shape) array it declares; it is not a valid IDX file.")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { b in
            let base = headerSize
            switch type {
            case .uint8: for i in 0..<count { values[i] = Float(b[base + i]) }
            case .int8: for i in 0..<count { values[i] = Float(Int8(bitPattern: b[base + i])) }
            case .int16:
                for i in 0..<count { values[i] = Float(Int16(bitPattern: UInt16(b[base + 2 * i]) << 8 | UInt16(b[base + 2 * i + 1]))) }
            case .int32, .float32:
                for i in 0..<count {
                    let o = base + 4 * i
                    let bits = UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
                    values[i] = type == .int32 ? Float(Int32(bitPattern: bits)) : Float(bitPattern: bits)
                }
            case .float64:
                for i in 0..<count {
                    var bits: UInt64 = 0
                    for k in 0..<8 { bits = bits << 8 | UInt64(b[base + 8 * i + k]) }
                    values[i] = Float(Double(bitPattern: bits))
                }
            }
        }
        return Array(type: type, shape: shape, values: values)
    }

    /// Encodes unsigned bytes as IDX (for tests and tools).
    public static func encode(uint8 values: [UInt8], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count && shape.count <= 255)
        var out: [UInt8] = [0, 0, ElementType.uint8.rawValue, UInt8(shape.count)]
        for d in shape { out += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16), UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)] }
        return out + values
    }
}

/// An IDX file that cannot be used; the description is one sentence naming the file.
public struct IDXError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Dataset {
    /// A dataset from an IDX image file [N, …] and an IDX label file [N] (each raw or gzip), as
    /// MNIST ships them: each image flattened to one row; unsigned-byte pixels scaled to 0…1
    /// (÷ 255), other element types kept as they are. `classCount` defaults to the largest
    /// label + 1.
    public static func loadIDX(images: String, labels: String, name: String? = nil, classCount: Int? = nil) throws -> Dataset {
        let imageArray = try IDX.read(path: images)
        let labelArray = try IDX.read(path: labels)
        return try fromIDX(images: imageArray, labels: labelArray, name: name ?? (images as NSString).lastPathComponent,
                           imagesName: images, labelsName: labels, classCount: classCount)
    }

    /// The same from parsed arrays.
    public static func fromIDX(images: IDX.Array, labels: IDX.Array, name: String, imagesName: String = "images",
                               labelsName: String = "labels", classCount: Int? = nil) throws -> Dataset {
        guard let rows = images.shape.first else { throw IDXError("\(imagesName) has no dimensions.") }
        guard labels.shape.count == 1 else {
            throw IDXError("\(labelsName) should hold one label per image (1 dimension), but has shape \(labels.shape).")
        }
        guard labels.shape[0] == rows else {
            throw IDXError("\(imagesName) has \(rows) images but \(labelsName) has \(labels.shape[0]) labels; they must match.")
        }
        var ints: [Int] = []
        ints.reserveCapacity(rows)
        for (i, v) in labels.values.enumerated() {
            guard v >= 0, v == v.rounded() else { throw IDXError("\(labelsName) label \(i) is \(v), not a class number 0, 1, 2…") }
            ints.append(Int(v))
        }
        let classes = classCount ?? ((ints.max() ?? 0) + 1)
        if let bad = ints.firstIndex(where: { $0 >= classes }) {
            throw IDXError("\(labelsName) label \(bad) is \(ints[bad]), outside the \(classes) classes.")
        }
        let width = rows == 0 ? images.shape.dropFirst().reduce(1, *) : images.values.count / rows
        // Divided (not multiplied by 1/255), as torchvision's ToTensor does, so values match bit for bit.
        let features = Tensor(shape: [rows, width], data: images.type == .uint8 ? images.values.map { $0 / 255 } : images.values)
        return Dataset(name: name, features: features, labels: ints, classCount: classes)
    }
}

extension String {
    /// The string with leading zeros up to `width` characters (hex bytes: "8" → "08").
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
