import Foundation
import PareCompress
import PareNN
import PareTensor
import PareTestSupport
import Testing

/// AWQ's clipping search against a numpy reference written from llm-awq's `auto_clip_layer`
/// (scripts/fixtures/make_awq_clip_fixtures.py), its never-worse property through the encoding
/// that is finally stored, and the search inside `quant-awq` on the tiny decoder.
@Suite struct AWQClipTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Fixtures/quantization/awq_clip_reference.safetensors")

    /// XᵀX in Double, written out here rather than through InputStatistics.
    static func gram(_ x: Tensor) -> [Double] {
        let k = x.columns
        var g = [Double](repeating: 0, count: k * k)
        for t in 0..<x.rows {
            for a in 0..<k { for b in 0..<k { g[a * k + b] += Double(x.data[t * k + a]) * Double(x.data[t * k + b]) } }
        }
        return g
    }

    /// Σ over (row, group) of Σ_t (Σ_{j∈g} x_tj·(q_rj − w_rj))², from the explicit products.
    static func groupOutputError(_ x: Tensor, _ w: Tensor, _ q: Tensor, groupSize: Int) -> Double {
        let k = w.columns
        var total = 0.0
        for r in 0..<w.rows {
            for g in 0..<(k / groupSize) {
                for t in 0..<x.rows {
                    var e = 0.0
                    for j in (g * groupSize)..<((g + 1) * groupSize) {
                        e += Double(x.data[t * k + j]) * Double(q.data[r * k + j] - w.data[r * k + j])
                    }
                    total += e * e
                }
            }
        }
        return total
    }

    @Test(arguments: [(4, QuantScheme.affine), (3, .affine), (4, .symmetric)])
    func chosenRatiosAndQuantizedWeightsEqualTheNumpyReference(_ bits: Int, _ scheme: QuantScheme) throws {
        let ref = try SafetensorsFile.read(contentsOf: Self.fixture)
        let x = try ref.tensor("x"), w = try ref.tensor("w")
        let tag = "int\(bits)_\(scheme.rawValue)"
        let format = QuantFormat(bits: bits, scheme: scheme, signedCodes: false)
        let search = AWQClip.search(weight: w, gram: Self.gram(x), format: format, groupSize: 8)
        let expected = try ref.tensor("steps_\(tag)").data.map { Int($0) }
        #expect(search.steps == expected)
        // The reference clips some groups, so this checks more than "no clipping".
        #expect(expected.contains { $0 > 0 })
        let stored = try QuantizedStorage.quantizing(AWQClip.clamped(w, search), format: format, granularity: .group(8)).decoded()
        let reference = try ref.tensor("quantized_\(tag)")
        let worst = zip(stored.data, reference.data).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-6, "quantized weights differ by \(worst)")
    }

    /// Through the stored encoding: the clipped layer's per-group partial output error on the
    /// calibration inputs is never above plain RTN's (the search's own ratio 1), on random layers
    /// at 3 and 4 bits, both schemes, groups and whole rows.
    @Test(arguments: [(3, QuantScheme.affine, 8), (4, .affine, 16), (4, .symmetric, 8), (3, .symmetric, 32)])
    func clippingNeverIncreasesTheCalibrationOutputError(_ bits: Int, _ scheme: QuantScheme, _ groupSize: Int) throws {
        var random = SplitMix64(UInt64(bits * 100 + groupSize))
        let (tokens, rows, width) = (80, 10, 32)
        let x = Tensor(shape: [tokens, width], data: (0..<tokens * width).map { i in (random.uniform() - 0.5) * (i % 5 == 0 ? 8 : 1) })
        let w = Tensor(shape: [rows, width], data: (0..<rows * width).map { i in (random.uniform() - 0.5) * (i % 13 == 0 ? 6 : 1) })
        let format = QuantFormat(bits: bits, scheme: scheme, signedCodes: false)
        let search = AWQClip.search(weight: w, gram: Self.gram(x), format: format, groupSize: groupSize)
        let granularity: QuantGranularity = groupSize == width ? .channel : .group(groupSize)
        let clipped = try QuantizedStorage.quantizing(AWQClip.clamped(w, search), format: format, granularity: granularity).decoded()
        let plain = try QuantizedStorage.quantizing(w, format: format, granularity: granularity).decoded()
        let clippedError = Self.groupOutputError(x, w, clipped, groupSize: groupSize)
        let plainError = Self.groupOutputError(x, w, plain, groupSize: groupSize)
        #expect(clippedError <= plainError * (1 + 1e-9), "clipped \(clippedError) vs RTN \(plainError)")
        // The search's own totals are these errors (through the Gram blocks).
        #expect(abs(search.error - clippedError) <= 1e-6 * plainError)
        #expect(abs(search.unclippedError - plainError) <= 1e-6 * plainError)
        #expect(search.error < search.unclippedError, "these layers have outliers worth clipping")
    }

    /// In `quant-awq`, clip=true changes v/o/gate/up/down but leaves block 0's q_proj and k_proj
    /// as clip=false quantizes them (skipped, as the reference), and is recorded in the params.
    @Test func quantAWQClipsEveryLayerButQueryAndKey() throws {
        let decoder = try BlockwiseCalibrationTests.tinyDecoder()
        let model = Model(transformer: .decoder(decoder))
        let context = BlockwiseCalibrationTests.context(BlockwiseCalibrationTests.windows())
        func run(_ clip: String) throws -> (CausalDecoder, CompressionResult, any CompressionMethod) {
            let method = try Methods.make("quant-awq", settings: ["group_size": "16", "bits": "3", "clip": clip])
            let result = try method.compress(model, context: context)
            guard case .decoder(let out)? = result.model.transformer else { throw ConfigError("not a decoder") }
            return (out, result, method)
        }
        let (clipped, result, method) = try run("true")
        let (plain, _, plainMethod) = try run("false")
        #expect(method.config["clip"] == .string("true"))
        #expect(plainMethod.config["clip"] == .string("false"))
        #expect(result.notes.contains { $0.contains("q_proj and k_proj skipped") })
        let block0 = decoder.layers[0]
        for linear in [block0.attention.query, block0.attention.key] {
            #expect(clipped.linear(at: linear.name)!.weight.decoded() == plain.linear(at: linear.name)!.weight.decoded(), "\(linear.name)")
        }
        var changed = 0
        for linear in block0.linears where ![block0.attention.query.name, block0.attention.key.name].contains(linear.name) {
            if clipped.linear(at: linear.name)!.weight.decoded() != plain.linear(at: linear.name)!.weight.decoded() { changed += 1 }
        }
        #expect(changed >= 3, "clipping changed only \(changed) of block 0's other layers")
        #expect(throws: ConfigError.self) { try Methods.make("quant-awq", settings: ["granularity": "tensor"]) }
        #expect(throws: ConfigError.self) { try Methods.make("quant-awq", settings: ["clip": "yes"]) }
    }
}
