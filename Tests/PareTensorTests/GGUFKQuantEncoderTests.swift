import Foundation
import Testing
@testable import PareTensor
import PareTestSupport

/// The Q4_K and Q6_K encoders against ggml's own reference quantizers: the bytes of
/// Tests/Fixtures/gguf/kquants.* come from quantize_row_q4_K_ref / quantize_row_q6_K_ref compiled
/// from llama.cpp's ggml-quants.c (scripts/fixtures/make_kquant_fixtures.py).
@Suite struct GGUFKQuantEncoderTests {
    static func source() throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url("gguf/kquants.source.f32"))
        return Bytes.read(Float.self, from: [UInt8](data), count: data.count / 4)
    }

    static func expected(_ type: GGMLType) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("gguf/kquants.\(String(describing: type))")))
    }

    @Test(arguments: [GGMLType.q4_K, .q6_K])
    func matchesGGMLReferenceByteForByte(_ type: GGMLType) throws {
        let x = try Self.source()
        let ours = try type.quantize(x)
        let theirs = try Self.expected(type)
        #expect(ours.count == theirs.count)
        for b in 0 ..< x.count / 256 {
            let range = (b * type.typeSize) ..< ((b + 1) * type.typeSize)
            #expect(Array(ours[range]) == Array(theirs[range]), "\(type.name) block \(b)")
        }
    }

    /// decode(encode(x)) stays close to x: within a sixteenth (Q4_K) or a sixty-fourth (Q6_K) of
    /// the block's range on the normal-weights block, and exact on the all-zero block.
    @Test(arguments: [(GGMLType.q4_K, Float(1) / 16), (.q6_K, Float(1) / 64)])
    func encodeDecodeRoundTrip(_ type: GGMLType, _ fraction: Float) throws {
        let x = try Self.source()
        let y = try type.dequantize(type.quantize(x))
        let block0 = x[0 ..< 256], range = block0.max()! - block0.min()!
        #expect(zip(block0, y[0 ..< 256]).allSatisfy { abs($0 - $1) <= range * fraction })
        #expect(y[512 ..< 768].allSatisfy { $0 == 0 })
    }
}
