import Foundation
import Testing
@testable import PareTensor

/// Bad input: each case is the committed fixture truncated or with one field overwritten, and
/// must give a GGUFError of the right kind whose sentence names the file — never a crash.
@Suite struct GGUFErrorTests {
    static let name = "bad.gguf"

    static func parseError(_ bytes: [UInt8]) -> GGUFError? {
        do {
            _ = try GGUFFile.parse(bytes: bytes, source: name)
            return nil
        } catch {
            return error
        }
    }

    /// Expects `bytes` to be refused with `kind`, in a message that names the file (and holds `words`).
    static func expectRefused(_ bytes: [UInt8], _ kind: GGUFError.Kind, _ words: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = parseError(bytes) else {
            Issue.record("the file was accepted; expected \(kind)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == kind, "\(error.description)", sourceLocation: sourceLocation)
        #expect(error.description.contains(name), "\(error.description)", sourceLocation: sourceLocation)
        if let words { #expect(error.description.contains(words), "\(error.description)", sourceLocation: sourceLocation) }
    }

    // MARK: Finding fields in the fixture

    /// The byte just after the GGUF string `text` (UInt64 length, then the bytes).
    static func after(_ text: String, in bytes: [UInt8]) -> Int {
        let needle = Bytes.of([UInt64(text.utf8.count)]) + Array(text.utf8)
        for i in 0 ... bytes.count - needle.count where Array(bytes[i ..< i + needle.count]) == needle {
            return i + needle.count
        }
        fatalError("test fixture lacks the string \(text)")
    }

    static func put<T: FixedWidthInteger>(_ value: T, at index: Int, in bytes: inout [UInt8]) {
        let le = Bytes.of([value])
        bytes.replaceSubrange(index ..< index + le.count, with: le)
    }

    /// Tensor info fields after the name: n_dims (UInt32), ne (UInt64 each), type (UInt32), offset (UInt64).
    struct TensorFields {
        let dims: Int, firstDim: Int, type: Int, offset: Int
        init(_ name: String, rank: Int, in bytes: [UInt8]) {
            dims = GGUFErrorTests.after(name, in: bytes)
            firstDim = dims + 4
            type = firstDim + 8 * rank
            offset = type + 4
        }
    }

    static func tiny() throws -> [UInt8] { try GGUFFixture.tinyBytes }

    // MARK: Not GGUF, wrong version

    @Test func badMagic() throws {
        var bytes = try Self.tiny()
        bytes[3] = UInt8(ascii: "X")
        Self.expectRefused(bytes, .notGGUF, "47 47 55 58")
        Self.expectRefused(Array("PK\u{3}\u{4}rest".utf8), .notGGUF)

        let safetensors = Fixtures.url("teacher.safetensors")
        let error = #expect(throws: GGUFError.self) { try GGUFFile.open(safetensors) }
        #expect(error?.kind == .notGGUF && error?.description.contains(safetensors.path) == true)
    }

    @Test func unsupportedVersions() throws {
        var bytes = try Self.tiny()
        for version: UInt32 in [1, 4, 0x0300_0000] {
            Self.put(version, at: 4, in: &bytes)
            Self.expectRefused(bytes, .unsupportedVersion, version == 1 ? "version 1" : version == 4 ? "version 4" : "big-endian")
        }
    }

    // MARK: Truncation

    @Test func truncatedHeaderMetadataAndTensorInfos() throws {
        let bytes = try Self.tiny()
        let file = try GGUFFile.parse(bytes: bytes)
        // In the magic, the version, the counts, the first key, a metadata value, the last tensor infos.
        for cut in [0, 2, 6, 20, 30, 100, 600, file.dataOffset - 40] {
            Self.expectRefused(Array(bytes.prefix(cut)), .truncated, "truncated")
        }
    }

    @Test func truncatedTensorData() throws {
        let bytes = try Self.tiny()
        Self.expectRefused(Array(bytes.dropLast(10)), .tensorOutOfBounds, "truncated")
    }

    // MARK: Tensor infos

    @Test func tensorOffsetOrSizeOutsideTheFile() throws {
        let bytes = try Self.tiny()
        let q41 = TensorFields("q4_1", rank: 2, in: bytes)
        for offset: UInt64 in [1 << 40, .max, UInt64(bytes.count)] {
            var b = bytes
            Self.put(offset, at: q41.offset, in: &b)
            Self.expectRefused(b, .tensorOutOfBounds, "'q4_1'")
        }
        var b = bytes
        Self.put(UInt64(1 << 40), at: q41.firstDim + 8, in: &b)  // 2^40 rows
        Self.expectRefused(b, .tensorOutOfBounds, "'q4_1'")
    }

    @Test func invalidTensorShapes() throws {
        let bytes = try Self.tiny()
        let f32 = TensorFields("f32", rank: 3, in: bytes)
        var b = bytes
        Self.put(UInt64(1 << 62), at: f32.firstDim + 8, in: &b)
        Self.put(UInt64(1 << 62), at: f32.firstDim + 16, in: &b)
        Self.expectRefused(b, .invalidTensorShape, "too large")

        b = bytes
        Self.put(UInt32(5), at: f32.dims, in: &b)
        Self.expectRefused(b, .invalidTensorShape, "at most 4")

        b = bytes
        let q41 = TensorFields("q4_1", rank: 2, in: bytes)
        Self.put(UInt64(48), at: q41.firstDim, in: &b)  // rows of 48 values: not whole 32-value blocks
        Self.expectRefused(b, .invalidTensorShape, "32-value blocks")
    }

    @Test func unknownTensorType() throws {
        let bytes = try Self.tiny()
        let q41 = TensorFields("q4_1", rank: 2, in: bytes)
        for type: UInt32 in [99, 4] {  // 4 was Q4_2, removed from ggml
            var b = bytes
            Self.put(type, at: q41.type, in: &b)
            Self.expectRefused(b, .unknownTensorType, "type id \(type)")
        }
    }

    /// A type ggml defines but Pare does not decode (IQ4_NL has Q4_0's 18-byte, 32-value
    /// geometry): the file opens, the raw bytes read, only decoding is refused.
    @Test func knownButUndecodableType() throws {
        var bytes = try Self.tiny()
        Self.put(GGMLType.iq4_nl.rawValue, at: TensorFields("q4_0", rank: 2, in: bytes).type, in: &bytes)
        let file = try GGUFFile.parse(bytes: bytes, source: Self.name)
        #expect(file.tensorInfo(named: "q4_0")?.type == .iq4_nl)
        #expect(try file.rawBytes(named: "q4_0").count == 6 * 18)
        let error = #expect(throws: GGUFError.self) { try file.tensor(named: "q4_0") }
        #expect(error?.kind == .unsupportedTensorType)
        #expect(error?.description.contains("IQ4_NL") == true && error?.description.contains(Self.name) == true)
    }

    @Test func duplicateNames() throws {
        var bytes = try Self.tiny()
        let f16 = Self.after("f16", in: bytes) - 3
        bytes.replaceSubrange(f16 ..< f16 + 3, with: Array("f32".utf8))
        Self.expectRefused(bytes, .duplicateName, "'f32'")

        bytes = try Self.tiny()
        let key = Self.after("test.int16", in: bytes) - 10
        bytes.replaceSubrange(key ..< key + 10, with: Array("test.int32".utf8))
        Self.expectRefused(bytes, .duplicateName, "'test.int32'")
    }

    // MARK: Counts

    @Test func absurdCounts() throws {
        let bytes = try Self.tiny()
        var b = bytes
        Self.put(UInt64(1 << 40), at: 8, in: &b)  // tensors
        Self.expectRefused(b, .absurdCount, "1099511627776 tensors")
        b = bytes
        Self.put(UInt64(1 << 40), at: 16, in: &b)  // metadata keys
        Self.expectRefused(b, .absurdCount, "metadata keys")
        for key in ["test.array.int32", "test.array.string", "test.array.nested"] {
            b = bytes
            Self.put(UInt64(1 << 40), at: Self.after(key, in: bytes) + 4 + 4, in: &b)  // after the type and element type
            Self.expectRefused(b, .absurdCount, "'\(key)'")
        }
        b = bytes
        Self.put(UInt64(1 << 50), at: Self.after("test.string", in: bytes) + 4, in: &b)  // a string's length
        Self.expectRefused(b, .truncated, "'test.string'")
    }

    // MARK: Strings and value types

    @Test func nonUTF8Strings() throws {
        let bytes = try Self.tiny()
        var b = bytes
        b[Self.after("test.string", in: bytes) + 4 + 8] = 0xFF  // the value's first byte
        Self.expectRefused(b, .invalidUTF8, "'test.string'")
        b = bytes
        b[Self.after("test.uint8", in: bytes) - 1] = 0xC3  // a lead byte followed by the type's 0x00
        Self.expectRefused(b, .invalidUTF8, "key")
        b = bytes
        b[Self.after("q4_1", in: bytes) - 4] = 0xFF
        Self.expectRefused(b, .invalidUTF8, "tensor")
    }

    @Test func invalidValueTypes() throws {
        let bytes = try Self.tiny()
        var b = bytes
        Self.put(UInt32(13), at: Self.after("test.uint8", in: bytes), in: &b)
        Self.expectRefused(b, .invalidValueType, "type id 13")
        b = bytes
        Self.put(UInt32(99), at: Self.after("test.array.int32", in: bytes) + 4, in: &b)
        Self.expectRefused(b, .invalidValueType, "element type id 99")
    }

    /// Arrays nested 8 deep are read; 9 deep are refused (a corrupt file could nest millions deep).
    @Test func deeplyNestedArrays() throws {
        func file(depth: Int) -> [UInt8] {
            var b = Array("GGUF".utf8) + Bytes.of([UInt32(3)]) + Bytes.of([UInt64(0), UInt64(1)])
            b += Bytes.of([UInt64(4)]) + Array("deep".utf8) + Bytes.of([UInt32(9)])
            for level in 0 ..< depth {
                b += Bytes.of([level == depth - 1 ? UInt32(0) : UInt32(9)]) + Bytes.of([UInt64(level == depth - 1 ? 0 : 1)])
            }
            return b
        }
        let ok = try GGUFFile.parse(bytes: file(depth: 8))
        #expect(ok.metadata["deep"]?.arrayElements?.count == 1 && ok.tensors.isEmpty)
        Self.expectRefused(file(depth: 9), .invalidValueType, "more than 8 deep")
    }

    @Test func invalidAlignment() throws {
        let bytes = [UInt8](try Data(contentsOf: GGUFFixture.align64))
        let value = Self.after("general.alignment", in: bytes) + 4
        for alignment: UInt32 in [48, 0] {
            var b = bytes
            Self.put(alignment, at: value, in: &b)
            Self.expectRefused(b, .invalidAlignment, "general.alignment")
        }
    }

    // MARK: Opening and looking up

    @Test func missingFileAndDirectory() {
        for url in [URL(fileURLWithPath: "/nonexistent/model.gguf"), Fixtures.directory] {
            let error = #expect(throws: GGUFError.self) { try GGUFFile.open(url) }
            #expect(error?.kind == .io && error?.description.contains(url.path) == true, "\(String(describing: error))")
        }
    }

    @Test func noSuchTensorAndMissingMetadata() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let noTensor = #expect(throws: GGUFError.self) { try file.tensor(named: "output.weight") }
        #expect(noTensor?.kind == .noSuchTensor)
        #expect(noTensor?.description.contains("'output.weight'") == true && noTensor?.description.contains("'f32'") == true)
        let absent = #expect(throws: GGUFError.self) { try file.requireInt("llama.block_count") }
        #expect(absent?.kind == .missingMetadata && absent?.description.contains(GGUFFixture.tiny.path) == true)
        let wrongType = #expect(throws: GGUFError.self) { try file.requireInt("test.string") }
        #expect(wrongType?.kind == .missingMetadata && wrongType?.description.contains("not an integer") == true)
    }

    @Test func emptyHeaderIsAValidFile() throws {
        let file = try GGUFFile.parse(bytes: Array("GGUF".utf8) + Bytes.of([UInt32(3)]) + Bytes.of([UInt64(0), UInt64(0)]))
        #expect(file.tensors.isEmpty && file.metadata.isEmpty)
    }
}
