import Foundation
import Testing
@testable import PareTensor

/// The committed GGUF fixtures (Tests/Fixtures/gguf, made by scripts/fixtures/make_gguf_fixtures.py
/// with gguf-py 0.19.0) and the expected values gguf-py computed for them.
enum GGUFFixture {
    static var tiny: URL { Fixtures.url("gguf/tiny.gguf") }
    static var align64: URL { Fixtures.url("gguf/align64.gguf") }
    static var tinyBytes: [UInt8] { get throws { [UInt8](try Data(contentsOf: tiny)) } }

    struct Entry: Decodable {
        let name: String
        let type: String
        let shape: [Int]
        let count: Int
        let expectedOffset: Int
        let sourceOffset: Int?
    }

    /// tiny.json: per tensor, where its values are in tiny.expected.f32 (and tiny.source.f32).
    static func manifest() throws -> [Entry] {
        struct Manifest: Decodable { let tensors: [Entry] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: Data(contentsOf: Fixtures.url("gguf/tiny.json"))).tensors
    }

    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url("gguf/\(name)"))
        return Bytes.read(Float.self, from: [UInt8](data), count: data.count / 4)
    }

    /// The real model, when the cache holds it.
    static var smolLM2: URL {
        let cache = ProcessInfo.processInfo.environment["PARE_CACHE"] ?? NSHomeDirectory() + "/.cache/pare"
        return URL(fileURLWithPath: cache).appending(path: "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
    static var hasSmolLM2: Bool { FileManager.default.fileExists(atPath: smolLM2.path) }
}

/// Equal bit for bit, except that any two NaNs are equal.
func sameFloats(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

@Suite struct GGUFFileTests {
    @Test func headerOfTheFixture() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.byteCount == 5280)
        #expect(file.architecture == "pare-test")
        #expect(file.metadataKeys.first == "general.architecture")
        #expect(file.metadataKeys.count == file.metadata.count)
    }

    @Test func metadataOfEveryValueType() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let m = file.metadata
        #expect(m["test.uint8"] == .uint8(200))
        #expect(m["test.int8"] == .int8(-100))
        #expect(m["test.uint16"] == .uint16(60000))
        #expect(m["test.int16"] == .int16(-30000))
        #expect(m["test.uint32"] == .uint32(4_000_000_000))
        #expect(m["test.int32"] == .int32(-2_000_000_000))
        #expect(m["test.uint64"] == .uint64(1 << 63 + 5))
        #expect(m["test.int64"] == .int64(-(1 << 62)))
        #expect(m["test.float32"] == .float32(0.1))
        #expect(m["test.float64"] == .float64(1.0 / 3.0))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.bool_false"] == .bool(false))
        #expect(m["test.string"] == .string("héllo wörld ✓"))
        #expect(m["test.empty_string"] == .string(""))
        #expect(m["test.array.uint8"] == .array(elementType: .uint8, elements: [.uint8(1), .uint8(2), .uint8(255)]))
        #expect(m["test.array.int8"] == .array(elementType: .int8, elements: [.int8(-128), .int8(0), .int8(127)]))
        #expect(m["test.array.uint16"] == .array(elementType: .uint16, elements: [.uint16(0), .uint16(65535)]))
        #expect(m["test.array.int16"] == .array(elementType: .int16, elements: [.int16(-32768), .int16(32767)]))
        #expect(m["test.array.uint32"] == .array(elementType: .uint32, elements: [.uint32(7), .uint32(4_294_967_295)]))
        #expect(m["test.array.uint64"] == .array(elementType: .uint64, elements: [.uint64(.max)]))
        #expect(m["test.array.int64"] == .array(elementType: .int64, elements: [.int64(.min), .int64(.max)]))
        #expect(m["test.array.float64"] == .array(elementType: .float64, elements: [.float64(0.1), .float64(-2.5)]))
        #expect(m["test.array.bool"] == .array(elementType: .bool, elements: [.bool(true), .bool(false), .bool(true)]))
        #expect(m["test.array.nested"] == .array(elementType: .array, elements: [
            .array(elementType: .string, elements: [.string("x"), .string("y")]),
            .array(elementType: .string, elements: [.string("z")]),
        ]))

        // The typed accessors.
        #expect(file.int("test.uint32") == 4_000_000_000)
        #expect(file.int("test.int8") == -100)
        #expect(file.int("test.uint64") == nil)  // above Int.max
        #expect(file.int("test.string") == nil)
        #expect(file.float("test.float32") == 0.1)
        #expect(file.double("test.float64") == 1.0 / 3.0)
        #expect(file.double("test.float32") == Double(Float(0.1)))
        #expect(file.bool("test.bool") == true)
        #expect(file.string("test.string") == "héllo wörld ✓")
        #expect(file.stringArray("test.array.string") == ["a", "βγ", ""])
        #expect(file.intArray("test.array.int32") == [-1, 0, 7])
        #expect(file.intArray("test.array.string") == nil)
        #expect(file.floatArray("test.array.float32") == [0.5, -1.25])
        #expect(file.stringArray("absent") == nil)
        #expect(try file.requireInt("test.int16") == -30000)
        #expect(try file.requireString("general.architecture") == "pare-test")
    }

    @Test func tensorInfosAndShapes() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let manifest = try GGUFFixture.manifest()
        #expect(file.tensors.map(\.name) == manifest.map(\.name))
        for (info, entry) in zip(file.tensors, manifest) {
            #expect(info.type.name == entry.type, "\(info.name)")
            #expect(info.shape == entry.shape, "\(info.name)")
            #expect(info.dimensions == entry.shape.reversed(), "\(info.name)")
            #expect(info.elementCount == entry.count, "\(info.name)")
            #expect(info.byteCount == entry.count / info.type.blockSize * info.type.typeSize, "\(info.name)")
            #expect(info.offset % 32 == 0, "\(info.name)")
        }
        let q6 = try #require(file.tensorInfo(named: "q6_k"))
        #expect(q6.shape == [2, 256] && q6.dimensions == [256, 2] && q6.byteCount == 2 * 210)
        #expect(file.tensorInfo(named: "f32")?.shape == [2, 3, 4])
    }

    /// Every tensor decodes to what gguf-py's `gguf.quants.dequantize` gave, bit for bit.
    @Test func dequantizedValuesEqualGGUFPy() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let expected = try GGUFFixture.floats("tiny.expected.f32")
        for entry in try GGUFFixture.manifest() {
            let tensor = try file.tensor(named: entry.name)
            #expect(tensor.shape == entry.shape, "\(entry.name)")
            let want = Array(expected[entry.expectedOffset ..< entry.expectedOffset + entry.count])
            #expect(sameFloats(tensor.data, want), "\(entry.name) (\(entry.type)) differs from gguf-py")
        }
    }

    /// Encoding the fixture's source floats gives exactly the bytes gguf-py's quantize wrote.
    @Test func encodersEqualGGUFPyBytes() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let source = try GGUFFixture.floats("tiny.source.f32")
        var checked: [String] = []
        for entry in try GGUFFixture.manifest() {
            guard let offset = entry.sourceOffset else { continue }
            let info = try #require(file.tensorInfo(named: entry.name))
            let values = Array(source[offset ..< offset + entry.count])
            let encoded = try info.type.quantize(values)
            #expect(encoded == (try file.rawBytes(named: entry.name)), "\(entry.name) encodes differently from gguf-py")
            checked.append(info.type.name)
        }
        #expect(checked == ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"])
    }

    @Test func rawBytesWithoutCopying() throws {
        let file = try GGUFFile.open(GGUFFixture.tiny)
        let copy = try file.rawBytes(named: "q4_1")
        #expect(copy.count == 6 * 20)
        let same = try file.withRawBytes(named: "q4_1") { [UInt8]($0) == copy }
        #expect(same)
        // Raw bytes decode to the tensor.
        #expect(try GGMLType.q4_1.dequantize(copy) == (try file.tensor(named: "q4_1")).data)
    }

    @Test func parseFromMemoryEqualsOpen() throws {
        let mapped = try GGUFFile.open(GGUFFixture.tiny)
        let parsed = try GGUFFile.parse(bytes: try GGUFFixture.tinyBytes, source: "tiny")
        #expect(parsed.tensors == mapped.tensors)
        #expect(parsed.metadata == mapped.metadata && parsed.metadataKeys == mapped.metadataKeys)
        #expect(try parsed.tensor(named: "q5_k") == (try mapped.tensor(named: "q5_k")))
    }

    /// Version 2 has the same little-endian layout as 3.
    @Test func readsVersion2() throws {
        var bytes = try GGUFFixture.tinyBytes
        bytes[4] = 2
        let file = try GGUFFile.parse(bytes: bytes)
        #expect(file.version == 2)
        #expect(try file.tensor(named: "f32_1d").data == [1, 2, 3, 4, 5])
    }

    @Test func customAlignment() throws {
        // gguf-py placed "b" at 64 after the 12 bytes of "a"; values from its dequantize: k · 0.244140625 …
        let file = try GGUFFile.open(GGUFFixture.align64)
        #expect(file.alignment == 64)
        #expect(file.dataOffset == 192)
        #expect(file.tensorInfo(named: "b")?.offset == 64)
        #expect(try file.tensor(named: "a").data == [0, 1, 2])
        let b = try file.tensor(named: "b").data
        #expect(b[1] == 0.244140625 && b[6] == 1.52587890625 && b[31] == 7.75146484375)
    }

    // MARK: The real model

    /// SmolLM2-135M-Instruct's Q4_1 GGUF; values from scripts/fixtures/smollm2_gguf_reference.py (gguf-py 0.19.0).
    @Test(.enabled(if: GGUFFixture.hasSmolLM2)) func realModel() throws {
        let file = try GGUFFile.open(GGUFFixture.smolLM2)
        #expect(file.version == 3)
        #expect(file.byteCount == 98_362_432)
        #expect(file.dataOffset == 1_785_664)
        #expect(file.architecture == "llama")
        #expect(file.tensors.count == 272)
        var counts: [GGMLType: Int] = [:]
        for t in file.tensors { counts[t.type, default: 0] += 1 }
        #expect(counts == [.q4_1: 210, .f32: 61, .q8_0: 1])

        #expect(file.int("llama.block_count") == 30)
        #expect(file.int("llama.context_length") == 8192)
        #expect(file.int("llama.embedding_length") == 576)
        #expect(file.int("llama.feed_forward_length") == 1536)
        #expect(file.int("llama.attention.head_count") == 9)
        #expect(file.int("llama.attention.head_count_kv") == 3)
        #expect(file.int("llama.rope.dimension_count") == 64)
        #expect(file.int("llama.vocab_size") == 49152)
        #expect(file.float("llama.rope.freq_base") == 100_000)
        #expect(file.float("llama.attention.layer_norm_rms_epsilon") == 1e-5)
        #expect(file.string("tokenizer.ggml.model") == "gpt2")
        #expect(file.string("tokenizer.ggml.pre") == "smollm")
        #expect(file.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(file.int("tokenizer.ggml.eos_token_id") == 2)
        #expect(file.bool("tokenizer.ggml.add_bos_token") == false)
        let tokens = try file.requireStringArray("tokenizer.ggml.tokens")
        #expect(tokens.count == 49152 && tokens[0] == "<|endoftext|>" && tokens[1] == "<|im_start|>")
        let merges = try file.requireStringArray("tokenizer.ggml.merges")
        #expect(merges.count == 48900 && merges[0] == "Ġ t")
        #expect(file.intArray("tokenizer.ggml.token_type")?.count == 49152)

        let embedding = try #require(file.tensorInfo(named: "token_embd.weight"))
        #expect(embedding.type == .q8_0 && embedding.shape == [49152, 576] && embedding.dimensions == [576, 49152])
        #expect(file.tensorInfo(named: "output.weight") == nil)  // tied to the embedding

        // One Q4_1 weight, decoded whole.
        let q = try file.tensor(named: "blk.0.attn_q.weight")
        #expect(q.shape == [576, 576])
        let expectedQ: [(Int, Int, Float)] = [
            (0, 0, -0.0963134765625), (0, 1, 0.1573486328125), (0, 31, -0.0963134765625), (0, 32, -0.34619140625),
            (1, 0, -0.1173095703125), (100, 200, -0.0343017578125), (575, 574, -0.14984130859375), (575, 575, -0.255859375),
        ]
        for (row, column, value) in expectedQ { #expect(q[row, column] == value, "attn_q[\(row), \(column)]") }

        // The first two rows of the Q8_0 embedding, decoded from its raw blocks (not the whole 28M values).
        let rowBytes = 576 / 32 * 34
        let rows = try file.withRawBytes(named: "token_embd.weight") { raw in
            try GGMLType.q8_0.dequantize(UnsafeRawBufferPointer(rebasing: raw[0 ..< 2 * rowBytes]))
        }
        #expect(rows[0] == -0.10654449462890625 && rows[1] == 0.032978057861328125)
        #expect(rows[575] == 0.029754638671875 && rows[576] == -0.0238037109375)

        let norm = try file.tensor(named: "blk.0.attn_norm.weight")
        #expect(norm.shape == [576] && norm.data[0] == 0.01397705078125 && norm.data[575] == -0.038330078125)
        #expect(try file.tensor(named: "output_norm.weight").data[575] == 1.984375)
    }
}
