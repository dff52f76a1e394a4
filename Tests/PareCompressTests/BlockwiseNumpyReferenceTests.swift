import Foundation
import PareCompress
import PareNN
import PareTensor
import Testing

/// Pare's block-by-block calibrated methods on the tiny Llama fixture against numpy float64
/// references written from the papers' reference code (scripts/fixtures/make_blockwise_fixtures.py,
/// fixture described in Tests/Fixtures/transformers/README.md): sequential Wanda and SparseGPT,
/// SmoothQuant's factors and smoothed logits, ShortGPT's block influence. The order matters and
/// the fixture sees it: pruning every layer on the unpruned model's inputs, or a whole block on
/// inputs collected before pruning it (the reference scripts' order), changes ~800 of the
/// 15 360 mask entries.
@Suite struct BlockwiseNumpyReferenceTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Fixtures/transformers")

    static func decoder() throws -> CausalDecoder {
        guard case .decoder(let d) = try TransformerRegistry.load(directory: folder.appending(path: "llama_tiny_untied")) else {
            throw ConfigError("llama_tiny_untied is not a decoder")
        }
        return d
    }

    static func reference() throws -> SafetensorsFile {
        try SafetensorsFile.read(contentsOf: folder.appending(path: "blockwise_llama_tiny.safetensors"))
    }

    /// The fixture's calibration windows (3 × 12 token ids).
    static func windows(_ ref: SafetensorsFile) throws -> TextWindows {
        let ids = try ref.tensor("windows")
        let windows = (0..<ids.rows).map { r in (0..<ids.columns).map { Int(ids.data[r * ids.columns + $0]) } }
        return TextWindows(spec: TextSpec(path: "calib", tokens: ids.count, context: ids.columns), windows: windows)
    }

    static func blockPaths(_ d: CausalDecoder) -> [String] { d.layers.flatMap { $0.linears.map(\.name) } }

    static func run(_ method: String, _ settings: [String: String], _ d: CausalDecoder, _ windows: TextWindows) throws -> CausalDecoder {
        let result = try Methods.make(method, settings: settings)
            .compress(Model(transformer: .decoder(d)), context: CompressionContext(calibrationText: windows))
        guard case .decoder(let out)? = result.model.transformer else { throw ConfigError("\(method) did not return a decoder") }
        return out
    }

    /// max|a − b| / max|b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "compared arrays differ in size: \(a.count) vs \(b.count)")
        var diff: Float = 0, scale: Float = 0
        for i in a.indices { diff = max(diff, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
        return scale == 0 ? diff : diff / scale
    }

    /// Every score gap at the pruning threshold in the fixture is ≥ 6.6e-5 relative (Wanda) and
    /// ≥ 1.3e-4 (SparseGPT), far above float32 rounding, so the masks must agree exactly.
    @Test func wandaMasksEqualTheReference() throws {
        let ref = try Self.reference()
        let d = try Self.decoder()
        let pruned = try Self.run("prune-wanda", ["amount": "0.5"], d, try Self.windows(ref))
        for path in Self.blockPaths(d) {
            let original = d.linear(at: path)!.weight.decoded()
            let w = pruned.linear(at: path)!.weight.decoded()
            let mask = try ref.tensor("wanda.mask.\(path)")
            #expect(w.shape == mask.shape, "\(path)")
            let differing = zip(w.data, mask.data).filter { ($0 != 0) != ($1 != 0) }.count
            #expect(differing == 0, "\(path): \(differing) of \(w.count) mask entries differ from numpy")
            // Kept weights are the original values, untouched.
            #expect(zip(zip(w.data, original.data), mask.data).allSatisfy { $1 == 0 || $0.0 == $0.1 }, "\(path)")
        }
    }

    @Test func sparseGPTWeightsEqualTheReference() throws {
        let ref = try Self.reference()
        let d = try Self.decoder()
        let pruned = try Self.run("prune-sparsegpt", ["amount": "0.5", "blocksize": "128", "damp": "0.01"], d, try Self.windows(ref))
        for path in Self.blockPaths(d) {
            let w = pruned.linear(at: path)!.weight.decoded()
            let expected = try ref.tensor("sparsegpt.\(path)")
            let maskDiffers = zip(w.data, expected.data).filter { ($0 == 0) != ($1 == 0) }.count
            #expect(maskDiffers == 0, "\(path): \(maskDiffers) mask entries differ from numpy")
            let err = Self.relativeError(w.data, expected.data)
            #expect(err < 1e-4, "\(path): relative error \(err)")
        }
    }

    @Test(arguments: [SmoothingFold.norm, .linear])
    func smoothingFactorsAndLogitsEqualTheReference(fold: SmoothingFold) throws {
        let ref = try Self.reference()
        let d = try Self.decoder()
        let paths = Self.blockPaths(d)
        let smoothed = try DecoderSmoothing.smooth(d, windows: try Self.windows(ref), alpha: 0.5, fold: fold, selected: Set(paths))
        let prefix = "smooth.\(fold.rawValue)."
        let expectedKeys = ref.tensors.map(\.name).filter { $0.hasPrefix(prefix) && !$0.hasSuffix(".logits") }
        #expect(Set(smoothed.factors.keys) == Set(expectedKeys.map { String($0.dropFirst(prefix.count)) }))
        #expect(smoothed.factors.count == (fold == .norm ? 4 : 8))
        for key in expectedKeys {
            let path = String(key.dropFirst(prefix.count))
            let s = try #require(smoothed.factors[path], "no factors for \(path)")
            let err = Self.relativeError(s, try ref.tensor(key).data)
            #expect(err < 1e-5, "\(path) factors: relative error \(err)")
        }
        let probe = try ref.tensor("probe").data.map { Int($0) }
        let logits = try smoothed.decoder.logits(tokens: probe)
        let expected = try ref.tensor(prefix + "logits")
        #expect(logits.shape == expected.shape)
        #expect(Self.relativeError(logits.data, expected.data) < 1e-5)
        // numpy's smoothed logits equal its unsmoothed ones (checked when the fixture was made).
        #expect(Self.relativeError(expected.data, try ref.tensor("logits.original").data) < 1e-5)
    }

    @Test func blockInfluenceEqualsTheReference() throws {
        let ref = try Self.reference()
        let bi = try TransformerStructuredPruning.blockInfluence(try Self.decoder(), windows: try Self.windows(ref))
        let expected = try ref.tensor("block_influence").data
        #expect(bi.count == expected.count)
        for (b, (got, want)) in zip(bi, expected).enumerated() {
            #expect(abs(got - Double(want)) < 1e-5, "block \(b): \(got) vs numpy \(want)")
        }
    }
}
