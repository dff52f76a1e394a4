import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file problem, told in one sentence that names the file.
public struct SafetensorsError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON mapping each tensor name to its dtype, shape and
/// `data_offsets` [begin, end) relative to the data section at byte 8 + N, an optional
/// `"__metadata__"` object of strings, then the tensors' bytes, contiguous and without holes.
public struct SafetensorsFile: Sendable {
    /// The tensors in file order (sorted by data offset when read).
    public var tensors: [(name: String, array: StoredArray)]
    /// The `"__metadata__"` strings, or nil when the file has none.
    public var metadata: [String: String]?
    /// Where the file came from, for error messages.
    var source: String = "<memory>"

    /// Header lengths above this are refused rather than allocated (the official library's limit).
    public static let maxHeaderLength = 100_000_000

    public init(tensors: [(name: String, array: StoredArray)], metadata: [String: String]? = nil) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> StoredArray? {
        tensors.first(where: { $0.name == name })?.array
    }

    /// The named tensor as Float32, or an error naming it and listing the tensors present.
    public func tensor(_ name: String) throws -> Tensor {
        guard let array = self[name] else {
            let present = tensors.isEmpty ? "it holds no tensors" : "it holds " + tensors.map(\.name).joined(separator: ", ")
            throw SafetensorsError("\(source) has no tensor named '\(name)'; \(present).")
        }
        return array.tensor
    }

    // MARK: Reading

    public static func read(contentsOf url: URL) throws -> SafetensorsFile {
        let source = url.path
        let data: Data
        do {
            try InputFile.check(source)
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            if !FileManager.default.fileExists(atPath: source) {
                throw SafetensorsError("Cannot read safetensors file \(source): no such file; check the path.")
            }
            throw SafetensorsError("Cannot read safetensors file \(source): \(InputFile.reason(error)).")
        }
        return try read(bytes: [UInt8](data), source: source)
    }

    public static func read(bytes: [UInt8], source: String = "<memory>") throws -> SafetensorsFile {
        func fail(_ message: String) -> SafetensorsError { SafetensorsError("\(source): \(message)") }

        guard bytes.count >= 8 else {
            throw fail("the file is truncated (\(bytes.count) bytes); a safetensors file starts with an 8-byte header length, so re-create or re-download it.")
        }
        var n64: UInt64 = 0
        for k in 0..<8 { n64 |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n64 <= UInt64(maxHeaderLength) else {
            throw fail("the header length \(n64) exceeds the \(maxHeaderLength)-byte limit, so this is not a valid safetensors file (or it is corrupt).")
        }
        let n = Int(n64)
        guard n <= bytes.count - 8 else {
            throw fail("the header length is \(n) bytes but only \(bytes.count - 8) bytes follow it, so the file is truncated or not a safetensors file.")
        }
        let headerBytes = bytes[8..<(8 + n)]
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail("the header is not valid UTF-8, so the file is corrupt or not a safetensors file.")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(headerBytes)
        } catch {
            throw fail("the header is not valid JSON (\(error.message)), so the file is corrupt or not a safetensors file.")
        }
        guard case let .object(members) = json else {
            throw fail("the header is \(json.kind), not a JSON object mapping tensor names to their dtype, shape and data_offsets.")
        }

        let dataStart = 8 + n
        let dataLength = bytes.count - dataStart
        var metadata: [String: String]?
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        var seen = Set<String>()
        let supported = DType.allCases.map(\.rawValue).joined(separator: ", ")

        for (name, value) in members {
            guard seen.insert(name).inserted else {
                throw fail("the header lists '\(name)' twice; each tensor name must appear once.")
            }
            if name == "__metadata__" {
                guard case let .object(pairs) = value else {
                    throw fail("\"__metadata__\" is \(value.kind), but it must be an object of string values.")
                }
                var dict: [String: String] = [:]
                for (key, item) in pairs {
                    guard case let .string(s) = item else {
                        throw fail("\"__metadata__\" value for '\(key)' is \(item.kind), but metadata values must be strings.")
                    }
                    dict[key] = s
                }
                metadata = dict
                continue
            }
            guard case let .object(fields) = value else {
                throw fail("the entry for tensor '\(name)' is \(value.kind), but it must be an object with dtype, shape and data_offsets.")
            }
            func field(_ key: String) throws -> StrictJSON {
                guard let v = fields.first(where: { $0.key == key })?.value else {
                    throw fail("tensor '\(name)' has no \"\(key)\" in the header; every tensor needs dtype, shape and data_offsets.")
                }
                return v
            }
            guard case let .string(dtypeName) = try field("dtype") else {
                throw fail("tensor '\(name)' has a \"dtype\" that is \(try field("dtype").kind), not a string such as \"F32\".")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has dtype '\(dtypeName)', which Pare does not support; supported dtypes are \(supported).")
            }
            guard case let .array(dims) = try field("shape") else {
                throw fail("tensor '\(name)' has a \"shape\" that is \(try field("shape").kind), not an array of non-negative integers.")
            }
            var shape: [Int] = []
            for d in dims {
                guard let v = d.integer, v >= 0 else {
                    throw fail("tensor '\(name)' has shape \(render(dims)), but every dimension must be a non-negative integer.")
                }
                shape.append(v)
            }
            guard case let .array(offsets) = try field("data_offsets") else {
                throw fail("tensor '\(name)' has \"data_offsets\" that is \(try field("data_offsets").kind), not an array [begin, end].")
            }
            guard offsets.count == 2, let begin = offsets[0].integer, let end = offsets[1].integer, begin >= 0, end >= 0 else {
                throw fail("tensor '\(name)' has data_offsets \(render(offsets)), but they must be two non-negative integers [begin, end].")
            }
            guard begin <= end else {
                throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] whose begin is after its end.")
            }
            guard end <= dataLength else {
                throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] but the data section holds only \(dataLength) bytes, so the file is truncated or its header is wrong.")
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(name)' has shape \(shape), whose element count overflows.") }
                count = p
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, expected == end - begin else {
                throw fail("tensor '\(name)' is \(dtype.rawValue) with shape \(shape), which needs \(overflow ? "more than Int.max" : String(expected)) bytes, but its data_offsets [\(begin), \(end)] span \(end - begin) bytes.")
            }
            entries.append((name, dtype, shape, begin, end))
        }

        // Sorted by position, the tensors must tile the data section exactly: no overlap, no
        // holes, nothing after the last one (as the format requires).
        let sorted = entries.enumerated().sorted {
            ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset)
        }.map(\.element)
        var position = 0
        var previous: String?
        for e in sorted {
            if e.begin < position, let previous {
                throw fail("tensors '\(previous)' and '\(e.name)' overlap (\(e.name) begins at data offset \(e.begin), before \(previous) ends at \(position)), so the header is corrupt.")
            }
            if e.begin > position {
                throw fail("there are \(e.begin - position) unused bytes before tensor '\(e.name)' (data offsets \(position)..<\(e.begin)); safetensors data must be contiguous, so the header is corrupt.")
            }
            position = e.end
            previous = e.name
        }
        if position != dataLength {
            throw fail("\(dataLength - position) bytes after the last tensor are not described by the header; safetensors data must be fully indexed, so the file is corrupt.")
        }

        var file = SafetensorsFile(
            tensors: sorted.map { e in
                (e.name, StoredArray(dtype: e.dtype, shape: e.shape,
                                     bytes: Array(bytes[(dataStart + e.begin)..<(dataStart + e.end)])))
            },
            metadata: metadata)
        file.source = source
        return file
    }

    private static func render(_ values: [StrictJSON]) -> String {
        "[" + values.map { v -> String in
            switch v {
            case let .number(t): t
            case let .string(s): "\"\(s)\""
            case let .bool(b): String(b)
            case .null: "null"
            case .array: "[…]"
            case .object: "{…}"
            }
        }.joined(separator: ",") + "]"
    }

    // MARK: Writing

    /// The file's bytes: tensors laid out contiguously in `tensors` order; a compact header with
    /// `"__metadata__"` first (keys sorted), then the tensors in the same order, each as
    /// `{"dtype":…,"shape":[…],"data_offsets":[begin,end]}`; the header padded with spaces so the
    /// data section starts at a multiple of 8.
    public func serialized() -> [UInt8] {
        let prefix = headerPrefix()
        var out: [UInt8] = []
        out.reserveCapacity(prefix.count + tensors.reduce(0) { $0 + $1.array.bytes.count })
        out.append(contentsOf: prefix)
        for (_, array) in tensors { out.append(contentsOf: array.bytes) }
        return out
    }

    /// The 8-byte header length and the JSON header (padded to 8 bytes); the tensors' bytes
    /// follow it in order.
    func headerPrefix() -> [UInt8] {
        var header: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { header.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            StrictJSON.appendString("__metadata__", to: &header)
            header.append(contentsOf: Array(":{".utf8))
            for (k, (key, value)) in metadata.sorted(by: { $0.key < $1.key }).enumerated() {
                if k > 0 { header.append(UInt8(ascii: ",")) }
                StrictJSON.appendString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                StrictJSON.appendString(value, to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var names = Set<String>()
        var offset = 0
        for (name, array) in tensors {
            precondition(name != "__metadata__", "SafetensorsFile: a tensor cannot be named __metadata__")
            precondition(names.insert(name).inserted, "SafetensorsFile: tensor name '\(name)' appears twice")
            separator()
            StrictJSON.appendString(name, to: &header)
            let shape = array.shape.map(String.init).joined(separator: ",")
            let end = offset + array.bytes.count
            header.append(contentsOf: Array(
                ":{\"dtype\":\"\(array.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}".utf8))
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        while (8 + header.count) % 8 != 0 { header.append(0x20) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count)
        let n = UInt64(header.count)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(k)))) }
        out.append(contentsOf: header)
        return out
    }

    /// Writes the file whole or not at all (`OutputFile`): never over a directory or over one
    /// of the `protected` files (the database, the command's inputs).
    public func write(to url: URL, protecting protected: [ProtectedPath] = []) throws {
        // Streamed tensor by tensor, so a large model is never in memory twice.
        try OutputFile.write(to: url.path, protecting: protected) { handle in
            try handle.write(contentsOf: headerPrefix())
            for (_, array) in tensors { try array.bytes.withUnsafeBytes { try handle.write(contentsOf: Data($0)) } }
        }
    }
}
