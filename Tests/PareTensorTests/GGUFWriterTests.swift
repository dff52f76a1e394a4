import Foundation
import Testing
@testable import PareTensor
import PareTestSupport

/// The writer against gguf-py's own: the fixtures tiny.gguf (metadata of every value type, one
/// tensor per type) and align64.gguf (general.alignment = 64) were written by gguf.GGUFWriter;
/// the same metadata and tensor bytes through GGUFWriter must give the same file byte for byte.
@Suite struct GGUFWriterTests {
    static func rewritten(_ url: URL) throws -> (original: [UInt8], ours: [UInt8]) {
        let file = try GGUFFile.open(url)
        let writer = GGUFWriter(
            metadata: file.metadataKeys.map { ($0, file.metadata[$0]!) },
            tensors: try file.tensors.map { GGUFTensorData(name: $0.name, dimensions: $0.dimensions, type: $0.type, bytes: try file.rawBytes(named: $0.name)) })
        return ([UInt8](try Data(contentsOf: url)), try writer.bytes())
    }

    @Test(arguments: ["gguf/tiny.gguf", "gguf/align64.gguf"])
    func equalsGGUFPyByteForByte(_ fixture: String) throws {
        let (original, ours) = try Self.rewritten(Fixtures.url(fixture))
        #expect(ours.count == original.count)
        #expect(ours == original)
    }

    @Test func streamsTheSameBytes() throws {
        let file = try GGUFFile.open(Fixtures.url("gguf/tiny.gguf"))
        let writer = GGUFWriter(metadata: file.metadataKeys.map { ($0, file.metadata[$0]!) },
                                tensors: try file.tensors.map { GGUFTensorData(name: $0.name, dimensions: $0.dimensions, type: $0.type, bytes: try file.rawBytes(named: $0.name)) })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pare-gguf-writer-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        try writer.write(to: handle)
        try handle.close()
        #expect([UInt8](try Data(contentsOf: url)) == (try writer.bytes()))
    }

    @Test func refusesWhatAReaderWouldRefuse() {
        let q8 = GGUFTensorData(name: "w", shape: [2, 32], type: .q8_0, bytes: [UInt8](repeating: 0, count: 68))
        #expect(throws: Never.self) { try GGUFWriter(metadata: [], tensors: [q8]).bytes() }
        let short = GGUFTensorData(name: "w", shape: [2, 32], type: .q8_0, bytes: [UInt8](repeating: 0, count: 67))
        let ragged = GGUFTensorData(name: "w", shape: [2, 48], type: .q8_0, bytes: [UInt8](repeating: 0, count: 102))
        for bad in [short, ragged] {
            #expect { try GGUFWriter(metadata: [], tensors: [bad]).bytes() } throws: { ($0 as? GGUFError)?.kind == .invalidTensorShape }
        }
        #expect { try GGUFWriter(metadata: [], tensors: [q8, q8]).bytes() } throws: { ($0 as? GGUFError)?.kind == .duplicateName }
        #expect { try GGUFWriter(metadata: [("a", .bool(true)), ("a", .bool(false))], tensors: []).bytes() } throws: { ($0 as? GGUFError)?.kind == .duplicateName }
        #expect { try GGUFWriter(metadata: [("general.alignment", .uint32(48))], tensors: []).bytes() } throws: { ($0 as? GGUFError)?.kind == .invalidAlignment }
    }
}
