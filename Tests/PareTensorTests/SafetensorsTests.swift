import Foundation
import Testing
@testable import PareTensor

@Suite struct SafetensorsTests {
    // MARK: Helpers

    /// A safetensors file from a header written by hand and `dataCount` bytes of data (0, 1, 2, …).
    static func file(header: String, dataCount: Int) -> [UInt8] {
        var json = Array(header.utf8)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        return Bytes.of([UInt64(json.count)]) + json + (0..<dataCount).map { UInt8(truncatingIfNeeded: $0) }
    }

    static func error(_ bytes: [UInt8], source: String = "bad.safetensors") -> String? {
        do {
            _ = try SafetensorsFile.read(bytes: bytes, source: source)
            return nil
        } catch let error as SafetensorsError {
            return error.description
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    static func headerLength(_ bytes: [UInt8]) -> Int { Int(Bytes.read(UInt64.self, from: bytes, count: 1)[0]) }

    // MARK: Round trips

    @Test func roundTripEveryDType() throws {
        let values: [Float] = [0, 1, -1, 2.5, -3.5, 100, -100, 0.333, 127, -128]
        var tensors: [(name: String, array: StoredArray)] = []
        for dtype in DType.allCases {
            tensors.append(("t.\(dtype.rawValue)", StoredArray(Tensor(shape: [2, 5], data: values), as: dtype)))
        }
        // Raw bit patterns a conversion would never make, to prove bytes survive untouched.
        tensors.append(("raw.i64", StoredArray(dtype: .i64, shape: [3], bytes: Bytes.of([Int64.min, -1, Int64.max]))))
        tensors.append(("raw.f16", StoredArray(dtype: .f16, shape: [2], bytes: Bytes.of([UInt16(0x7E01), 0xFC00]))))
        tensors.append(("scalar", StoredArray(Tensor(shape: [], data: [42]))))
        tensors.append(("empty", StoredArray(dtype: .bf16, shape: [0, 3], bytes: [])))
        let metadata = ["arch": "mlp", "quote\"back\\slash": "new\nline\ttab\u{1}", "unicode": "π ≈ 3.14159 🙂", "": ""]
        let original = SafetensorsFile(tensors: tensors, metadata: metadata)
        let bytes = original.serialized()
        let read = try SafetensorsFile.read(bytes: bytes)

        #expect(read.tensors.map(\.name) == tensors.map(\.name))
        for (a, b) in zip(read.tensors, tensors) { #expect(a.array == b.array, "\(a.name)") }
        #expect(read.metadata == metadata)
        // Deterministic: writing what was read reproduces the bytes.
        #expect(read.serialized() == bytes)

        // Every dtype decodes the values it was given (all exactly representable in each type).
        for dtype in DType.allCases {
            var expected = values
            if dtype == .u8 { expected = values.map { max(0, $0.rounded(.toNearestOrEven)) } }
            else if [.i8, .i32, .i64].contains(dtype) { expected = values.map { $0.rounded(.toNearestOrEven) } }
            else if dtype == .f16 { expected = values.map(HalfPrecision.roundedToF16) }
            else if dtype == .bf16 { expected = values.map(HalfPrecision.roundedToBF16) }
            #expect(try read.tensor("t.\(dtype.rawValue)") == Tensor(shape: [2, 5], data: expected), "\(dtype)")
        }
        #expect(read["scalar"]?.tensor == Tensor(shape: [], data: [42]))
        #expect(read["empty"]?.floats() == [])
    }

    @Test func noMetadataStaysNil() throws {
        let file = SafetensorsFile(tensors: [("a", StoredArray(Tensor(shape: [1], data: [1])))])
        #expect(try SafetensorsFile.read(bytes: file.serialized()).metadata == nil)
        let empty = SafetensorsFile(tensors: [], metadata: [:])
        let read = try SafetensorsFile.read(bytes: empty.serialized())
        #expect(read.metadata == [:] && read.tensors.isEmpty)
    }

    @Test func exactBytesAndPadding() throws {
        let file = SafetensorsFile(tensors: [("a", StoredArray(Tensor(shape: [1], data: [1])))])
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#  // 54 bytes → padded to 56
        let expected = Bytes.of([UInt64(56)]) + Array(header.utf8) + [0x20, 0x20] + [0x00, 0x00, 0x80, 0x3F]
        #expect(file.serialized() == expected)

        // Every header length pads to a multiple of 8 with spaces only.
        for length in 1...17 {
            let name = String(repeating: "x", count: length)
            let bytes = SafetensorsFile(tensors: [(name, StoredArray(Tensor(shape: [2], data: [1, 2])))],
                                        metadata: ["k": name]).serialized()
            let n = Self.headerLength(bytes)
            #expect((8 + n) % 8 == 0)
            let json = bytes[8..<(8 + n)]
            let trailing = json.reversed().prefix { $0 == 0x20 }.count
            #expect(trailing < 8 && json[json.startIndex + n - trailing - 1] == UInt8(ascii: "}"))
            #expect(try SafetensorsFile.read(bytes: bytes)[name]?.floats() == [1, 2])
        }
    }

    @Test func writeIsAtomicAndReadable() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "pare-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appending(path: "m.safetensors")
        let first = SafetensorsFile(tensors: [("w", StoredArray(Tensor(shape: [2, 2], data: [1, 2, 3, 4])))],
                                    metadata: ["v": "1"])
        try first.write(to: url)
        let second = SafetensorsFile(tensors: [("w", StoredArray(Tensor(shape: [1], data: [9]), as: .bf16))])
        try second.write(to: url)  // replaces the first
        let read = try SafetensorsFile.read(contentsOf: url)
        #expect(read["w"] == second["w"] && read.metadata == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
    }

    // MARK: Conversions

    @Test func f16BitPatterns() {
        let cases: [(Float, UInt16)] = [
            (1.0, 0x3C00), (-2.0, 0xC000), (0.1, 0x2E66), (0.0, 0x0000), (-0.0, 0x8000),
            (65504, 0x7BFF),                       // largest finite
            (65519.99, 0x7BFF), (65520, 0x7C00),   // 65520 is halfway to 65536: ties to even → inf
            (1e10, 0x7C00), (-1e10, 0xFC00), (.infinity, 0x7C00), (-.infinity, 0xFC00),
            (0x1p-14, 0x0400),                     // smallest normal
            (0x1p-24, 0x0001),                     // smallest subnormal
            (1023 * 0x1p-24, 0x03FF),              // largest subnormal
            (0x1p-25, 0x0000),                     // exactly half the smallest subnormal: ties to even → 0
            (Float(0x1p-25).nextUp, 0x0001),
            (3 * 0x1p-25, 0x0002),                 // 1.5 subnormal units: ties to even → 2
            (-0x1p-26, 0x8000),                    // underflow keeps the sign
            (1 + 0x1p-11, 0x3C00),                 // halfway between 1 and 1+2^-10: ties to even
            (1 + 3 * 0x1p-11, 0x3C02),             // halfway between 1+2^-10 and 1+2^-9: to even
            (1 + 0x1p-11 + 0x1p-20, 0x3C01),       // just above halfway rounds up
            (Float(0x1p-13) - Float(0x1p-26), 0x0800), // rounds up across the exponent boundary
        ]
        for (value, bits) in cases {
            #expect(HalfPrecision.f16Bits(value) == bits, "\(value)")
        }
        let nan = HalfPrecision.f16Bits(.nan)
        #expect(nan & 0x7C00 == 0x7C00 && nan & 0x3FF != 0)
        #expect(HalfPrecision.float(f16: nan).isNaN)
        #expect(HalfPrecision.f16Bits(Float(bitPattern: 0x7F80_0001)) & 0x3FF != 0)  // signalling NaN stays NaN

        // Decoding is exact.
        #expect(HalfPrecision.float(f16: 0x0001) == 0x1p-24)
        #expect(HalfPrecision.float(f16: 0x03FF) == 1023 * 0x1p-24)
        #expect(HalfPrecision.float(f16: 0x8001) == -0x1p-24)
        #expect(HalfPrecision.float(f16: 0x7BFF) == 65504)
        #expect(HalfPrecision.float(f16: 0xFC00) == -.infinity)
        #expect(HalfPrecision.float(f16: 0x8000).bitPattern == (-0.0 as Float).bitPattern)
        #expect(HalfPrecision.float(f16: 0x3555) == 0.333251953125)
    }

    @Test func f16EveryPatternRoundTrips() {
        for bits in 0...UInt16.max where bits & 0x7C00 != 0x7C00 || bits & 0x3FF == 0 {
            #expect(HalfPrecision.f16Bits(HalfPrecision.float(f16: bits)) == bits)
        }
    }

    #if arch(x86_64) || arch(arm64)
    #if !os(macOS) || arch(arm64)
    /// The manual conversion agrees with the platform's Float16 (round to nearest even) on a
    /// spread of Float32 bit patterns.
    @Test func f16AgreesWithFloat16() {
        var state: UInt32 = 12345
        for _ in 0..<200_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            let value = Float(bitPattern: state)
            guard !value.isNaN else { continue }
            #expect(HalfPrecision.f16Bits(value) == Float16(value).bitPattern, "\(value)")
            #expect(HalfPrecision.float(f16: UInt16(truncatingIfNeeded: state >> 7)).bitPattern
                    == Float(Float16(bitPattern: UInt16(truncatingIfNeeded: state >> 7))).bitPattern
                    || Float16(bitPattern: UInt16(truncatingIfNeeded: state >> 7)).isNaN)
        }
    }
    #endif
    #endif

    @Test func bf16BitPatterns() {
        let cases: [(Float, UInt16)] = [
            (1.0, 0x3F80), (-2.0, 0xC000), (0.1, 0x3DCD), (0.0, 0x0000), (-0.0, 0x8000),
            (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (.greatestFiniteMagnitude, 0x7F80),          // above the largest bf16 by more than half: inf
            (1 + 0x1p-8, 0x3F80),                        // halfway: ties to even
            (1 + 3 * 0x1p-8, 0x3F82),
            (Float(bitPattern: 0x3F80_8001), 0x3F81),    // just above halfway
            (Float(bitPattern: 0x0000_0001), 0x0000),    // smallest Float32 subnormal rounds to 0
            (Float(bitPattern: 0x0001_8000), 0x0002),    // subnormal tie, odd → up to even
            (Float(bitPattern: 0x8000_8000), 0x8000),    // negative subnormal tie, even → stays
        ]
        for (value, bits) in cases {
            #expect(HalfPrecision.bf16Bits(value) == bits, "\(value)")
        }
        #expect(HalfPrecision.float(bf16: HalfPrecision.bf16Bits(.nan)).isNaN)
        #expect(HalfPrecision.float(bf16: HalfPrecision.bf16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(HalfPrecision.float(bf16: 0x3F80) == 1)
        #expect(HalfPrecision.float(bf16: 0x0001) == Float(bitPattern: 0x0001_0000))
        #expect(HalfPrecision.float(bf16: 0x8000).sign == .minus)
    }

    @Test func storedArrayConversions() {
        let t = Tensor(shape: [6], data: [1, 65504, -0.0, .infinity, 0x1p-24, 70000])
        #expect(StoredArray(t, as: .f16).bytes == Bytes.of([UInt16(0x3C00), 0x7BFF, 0x8000, 0x7C00, 0x0001, 0x7C00]))
        #expect(StoredArray(t, as: .bf16).bytes
                == Bytes.of([UInt16(0x3F80), 0x4780, 0x8000, 0x7F80, 0x3380, 0x4789]))
        #expect(StoredArray(t, as: .f32) == StoredArray(t))

        let ints = Tensor(shape: [7], data: [2.5, -3.5, 300, -300, .nan, 0.5, 1e20])
        #expect(StoredArray(ints, as: .i8).bytes == Bytes.of([Int8(2), -4, 127, -128, 0, 0, 127]))
        #expect(StoredArray(ints, as: .u8).bytes == [2, 0, 255, 0, 0, 0, 255])
        #expect(StoredArray(ints, as: .i32).floats() == [2, -4, 300, -300, 0, 0, Float(Int32.max)])
        #expect(StoredArray(ints, as: .i64).bytes == Bytes.of([Int64(2), -4, 300, -300, 0, 0, .max]))
        #expect(StoredArray(Tensor(shape: [1], data: [-1e20]), as: .i64).bytes == Bytes.of([Int64.min]))
        #expect(StoredArray(dtype: .i8, shape: [2], bytes: [0xFF, 0x80]).floats() == [-1, -128])
        #expect(StoredArray(dtype: .u8, shape: [2], bytes: [0xFF, 0x80]).floats() == [255, 128])
    }

    // MARK: Fixtures

    @Test func readsTeacher() throws {
        let file = try SafetensorsFile.read(contentsOf: Fixtures.teacher)
        #expect(file.tensors.map(\.name) == ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight"])
        #expect(file.metadata == ["arch": "mlp", "dims": "64,256,128,10", "act": "relu"])
        let shapes: [String: [Int]] = ["fc1.weight": [256, 64], "fc1.bias": [256], "fc2.weight": [128, 256],
                                       "fc2.bias": [128], "fc3.weight": [10, 128], "fc3.bias": [10]]
        for (name, array) in file.tensors {
            #expect(array.dtype == .f32)
            #expect(array.shape == shapes[name])
        }
        let w = try file.tensor("fc1.weight")
        #expect(w.isFinite && w.nonzeroCount > 16000)

        // Rewriting and rereading keeps every tensor and the metadata.
        let again = try SafetensorsFile.read(bytes: file.serialized())
        #expect(again.metadata == file.metadata)
        for (a, b) in zip(again.tensors, file.tensors) { #expect(a.name == b.name && a.array == b.array) }
    }

    @Test func readsTeacherMixed() throws {
        let teacher = try SafetensorsFile.read(contentsOf: Fixtures.teacher)
        let mixed = try SafetensorsFile.read(contentsOf: Fixtures.teacherMixed)
        #expect(mixed.metadata == nil)
        #expect(mixed.tensors.map(\.name) == ["fc3.bias", "fc3.weight", "fc2.bias", "fc2.weight", "fc1.bias", "fc1.weight"])
        let dtypes: [String: DType] = ["fc1": .f16, "fc2": .bf16, "fc3": .f32]
        for (name, array) in mixed.tensors {
            let dtype = try #require(dtypes[String(name.prefix(3))])
            #expect(array.dtype == dtype, "\(name)")
            let base = try #require(teacher[name])
            #expect(array.shape == base.shape)
            let rounded = StoredArray(base.tensor, as: dtype)
            #expect(rounded.floats() == array.floats(), "\(name)")
            #expect(rounded == array, "\(name)")
        }
    }

    @Test func missingTensorErrorListsNames() throws {
        let file = try SafetensorsFile.read(contentsOf: Fixtures.teacher)
        let error = #expect(throws: SafetensorsError.self) { try file.tensor("fc4.weight") }
        let message = try #require(error?.description)
        #expect(message.contains("fc4.weight") && message.contains("fc1.bias") && message.contains("fc3.weight"))
        #expect(message.contains("teacher.safetensors"))
        #expect(file["fc4.weight"] == nil)
    }

    // MARK: Bad input

    @Test func truncatedAndBadLength() throws {
        let good = try [UInt8](Data(contentsOf: Fixtures.teacher))
        let n = Self.headerLength(good)

        #expect(Self.error(Array(good.prefix(5)))?.contains("truncated") == true)
        #expect(Self.error([])?.contains("truncated") == true)
        // Header length beyond the file.
        #expect(Self.error(Array(good.prefix(8 + n - 1)))?.contains("only \(n - 1) bytes follow") == true)
        var long = good
        long.replaceSubrange(0..<8, with: Bytes.of([UInt64(good.count)]))
        #expect(Self.error(long)?.contains("header length is \(good.count) bytes") == true)
        // Absurd header length: refused before allocating.
        long.replaceSubrange(0..<8, with: Bytes.of([UInt64(1) << 40]))
        #expect(Self.error(long)?.contains("exceeds") == true)
        long.replaceSubrange(0..<8, with: Bytes.of([UInt64.max]))
        #expect(Self.error(long)?.contains("exceeds") == true)
        // Data cut short: the last tensor ends beyond the data section.
        let cut = Self.error(Array(good.dropLast(4)))
        #expect(cut?.contains("fc3.weight") == true && cut?.contains("data section holds only") == true)
        // Every message names the file and is one sentence.
        let message = try #require(Self.error(Array(good.prefix(3))))
        #expect(message.hasPrefix("bad.safetensors: ") && message.hasSuffix("."))
    }

    @Test func headerNotJSON() throws {
        let good = try [UInt8](Data(contentsOf: Fixtures.teacher))
        var patched = good
        patched[8] = UInt8(ascii: "#")  // the opening brace
        #expect(Self.error(patched)?.contains("not valid JSON (expected a JSON value but found character '#' at byte 0)") == true)
        patched = good
        patched[8 + 15] = UInt8(ascii: ",")  // the colon after "__metadata__"
        #expect(Self.error(patched)?.contains("not valid JSON") == true)
        patched = good
        patched[8 + 10] = 0xFF
        #expect(Self.error(patched)?.contains("not valid UTF-8") == true)
        #expect(Self.error(Self.file(header: "", dataCount: 0))?.contains("not valid JSON") == true)
        #expect(Self.error(Self.file(header: "{\"a\":1} x", dataCount: 0))?.contains("not valid JSON") == true)
        #expect(Self.error(Self.file(header: "[1,2]", dataCount: 0))?.contains("not a JSON object") == true)
        #expect(Self.error(Self.file(header: "\"x\"", dataCount: 0))?.contains("not a JSON object") == true)
        let deep = String(repeating: "[", count: 1000)
        #expect(Self.error(Self.file(header: "{\"a\":\(deep)}", dataCount: 0))?.contains("not valid JSON") == true)
    }

    /// Headers that parse as JSON but break a rule of the format, each with the words its error must use.
    @Test(arguments: [
        (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, 4, #"no "dtype""#),
        (#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, 4, #"no "shape""#),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, 4, #"no "data_offsets""#),
        (#"{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, 4, #""dtype" that is a number"#),
        (#"{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, 4, #""shape" that is a string"#),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":{"b":0}}}"#, 4, #""data_offsets" that is an object"#),
        (#"{"a":[1]}"#, 4, "entry for tensor 'a' is an array"),
        (#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, 1, "dtype 'F8_E4M3'"),
        (#"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, 4, "supported dtypes are F32, F16, BF16, I8, U8, I32, I64"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4, "shape [-1]"),
        (#"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}}"#, 4, "non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, 4, "non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#, 4, "non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, 4, "overflows"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, 4, "two non-negative integers"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, 4, "two non-negative integers"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, 4, "data section holds only 4 bytes"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, 4, "begin is after its end"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, 4, "needs 8 bytes, but its data_offsets [0, 4] span 4 bytes"),
        (#"{"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}"#, 4, "needs 6 bytes"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8,
         "tensors 'a' and 'b' overlap"),
        (#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 8,
         "tensors 'a' and 'b' overlap"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "4 unused bytes before tensor 'a'"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 12, "8 bytes after the last tensor"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4,
         "lists 'a' twice"),
        (#"{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4,
         "\"__metadata__\" value for 'k' is a number, but metadata values must be strings"),
        (#"{"__metadata__":{"k":null}}"#, 0, "value for 'k' is null"),
        (#"{"__metadata__":["x"]}"#, 0, "\"__metadata__\" is an array"),
    ])
    func invalidHeader(header: String, dataCount: Int, expected: String) throws {
        let message = try #require(Self.error(Self.file(header: header, dataCount: dataCount)))
        #expect(message.contains(expected), "\(message)")
        #expect(message.hasPrefix("bad.safetensors: "))
    }

    @Test func validHandWrittenHeaders() throws {
        // Whitespace, key order inside an entry, extra fields and escapes are all accepted.
        let header = #"{ "b\u00e9" : { "data_offsets" : [ 0 , 2 ] , "shape" : [ ] , "dtype" : "F16", "extra": true },"#
            + #" "__metadata__": {"k": "v\"\u2713"} }"#
        let file = try SafetensorsFile.read(bytes: Self.file(header: header, dataCount: 2))
        #expect(file.tensors.map(\.name) == ["bé"])
        #expect(file.metadata == ["k": "v\"✓"])
        #expect(file["bé"]?.shape == [])
        // Zero-size tensors may share an offset.
        let zeros = #"{"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"I8","shape":[2,0],"data_offsets":[0,0]}}"#
        #expect(try SafetensorsFile.read(bytes: Self.file(header: zeros, dataCount: 0)).tensors.map(\.name) == ["z", "y"])
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/pare/model.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(contentsOf: url) }
        #expect(error?.description.contains("/nonexistent/pare/model.safetensors") == true)
    }
}
