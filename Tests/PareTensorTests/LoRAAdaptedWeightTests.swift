import Testing
@testable import PareTensor
import PareTestSupport

/// A quantized base with LoRA adapters beside it: stored with the base's exact bytes, decoded to
/// W + s·B·A, executed as base(x) + s·(x·Aᵀ)·Bᵀ, and a malformed stored form refused.
@Suite struct LoRAAdaptedWeightTests {
    static func weight(groups: Bool) throws -> (LoRAAdaptedWeight, QuantizedWeight) {
        var random = TestRNG(5)
        let base = try QuantizedWeight(quantizing: random.matrix(24, 32), format: QuantFormat(bits: 4, scheme: .affine),
                                       granularity: groups ? .group(16) : .channel)
        return (LoRAAdaptedWeight(base: base, a: random.matrix(3, 32), b: random.matrix(24, 3), scale: 0.75), base)
    }

    @Test(arguments: [false, true])
    func roundTripKeepsTheBaseBytesAndAddsTheAdapters(_ groups: Bool) throws {
        let (w, base) = try Self.weight(groups: groups)
        let stored = w.encoded()
        #expect(stored.encoding == "lora" && stored.shape == [24, 32])
        // The base's payload comes first, unchanged; then A [3, 32] and B [24, 3] as Float32.
        #expect(stored.payload.count == base.encoded().payload.count + 4 * 3 * (24 + 32))
        #expect(Array(stored.payload.prefix(base.encoded().payload.count)) == base.encoded().payload)
        let back = try WeightEncodings.decode(stored)
        #expect(back.encoded() == stored)
        guard let lora = back as? LoRAAdaptedWeight else { Issue.record("decoded as \(type(of: back))"); return }
        #expect(lora.base.encoded() == base.encoded())
        // W_eff = W + s·B·A, summed by hand.
        let q = base.decoded(), d = w.decoded()
        for i in 0..<24 {
            for j in 0..<32 {
                var ba: Float = 0
                for k in 0..<3 { ba += w.b.data[i * 3 + k] * w.a.data[k * 32 + j] }
                #expect(abs(d.data[i * 32 + j] - (q.data[i * 32 + j] + 0.75 * ba)) <= 1e-5)
            }
        }
        #expect(w.parameterCount == 24 * 32 + 3 * (24 + 32))
        #expect(w.flopsPerSample == base.flopsPerSample + 2 * 3 * (24 + 32))
    }

    @Test func forwardRunsTheBaseKernelPlusTheAdapters() throws {
        let (w, _) = try Self.weight(groups: true)
        var random = TestRNG(9)
        for batch in [1, 7] {
            let x = random.matrix(batch, 32)
            let expected = referenceForward(x, w.decoded()), y = w.forward(x)
            for i in 0..<y.count { #expect(abs(y.data[i] - expected.data[i]) <= 1e-4 * max(1, abs(expected.data[i]))) }
        }
    }

    @Test func aMalformedStoredFormIsRefused() throws {
        let stored = try Self.weight(groups: false).0.encoded()
        var short = stored
        short.payload.removeLast()
        var noRank = stored
        noRank.meta["rank"] = nil
        var nested = stored
        nested.meta["base_encoding"] = "lora"
        var badBase = stored
        badBase.meta["base_bytes"] = "3"
        for bad in [short, noRank, nested, badBase] {
            #expect(throws: EncodingError.self) { _ = try WeightEncodings.decode(bad) }
        }
    }
}
