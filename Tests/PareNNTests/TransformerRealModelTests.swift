import Foundation
import Testing
import PareTensor
@testable import PareNN

/// The real checkpoints of MODELS.md, from the cache directory; each test skips when its files
/// are absent. The reference values are MODELS.md's (numpy fp32 / sentence-transformers).
enum RealModels {
    static let cache = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PARE_CACHE"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pare").path)
    static let miniLM = cache.appendingPathComponent("all-MiniLM-L6-v2")
    /// Written by scripts/fixtures/dequantize_smollm2_gguf.py until Pare reads GGUF itself.
    static let smolWeights = cache.appendingPathComponent("smollm2/dequantized.safetensors")
    static let smolConfig = cache.appendingPathComponent("smollm2/dequantized.config.json")

    static var hasMiniLM: Bool {
        FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("model.safetensors").path)
            && FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("config.json").path)
    }
    static var longTestsWanted: Bool { ProcessInfo.processInfo.environment["PARE_LONG_TESTS"] != nil }
    static var hasSmolLM2: Bool {
        FileManager.default.fileExists(atPath: smolWeights.path) && FileManager.default.fileExists(atPath: smolConfig.path)
    }
}

@Suite(.serialized) struct TransformerRealModelTests {
    @Test(.enabled(if: RealModels.hasMiniLM, "all-MiniLM-L6-v2 is not in the cache"))
    func miniLMSentenceEmbeddingMatchesSentenceTransformers() throws {
        guard case .encoder(let model) = try TransformerRegistry.load(directory: RealModels.miniLM) else {
            Issue.record("MiniLM did not load as an encoder"); return
        }
        #expect(model.config.hiddenSize == 384 && model.layers.count == 6)
        // "This is an example sentence"
        let e = try model.sentenceEmbedding(tokens: [101, 2023, 2003, 2019, 2742, 6251, 102])
        let want: [Float] = [0.067657, 0.063496, 0.048713, 0.079305, 0.037448, 0.002653, 0.039375, -0.007098]
        for i in 0..<8 { #expect(abs(e[i] - want[i]) < 1e-4, "embedding[\(i)] = \(e[i]), want \(want[i])") }
        // "A man is eating food." vs "A man is eating a piece of bread.", in one packed batch.
        let pair = try model.sentenceEmbeddings(batch: [[101, 1037, 2158, 2003, 5983, 2833, 1012, 102],
                                                        [101, 1037, 2158, 2003, 5983, 1037, 3538, 1997, 7852, 1012, 102]])
        let cosine = zip(pair[0], pair[1]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(cosine - 0.7553) < 1e-4, "cosine \(cosine)")
    }

    @Test(.enabled(if: RealModels.hasSmolLM2, "the dequantized SmolLM2 is not in the cache (scripts/fixtures/dequantize_smollm2_gguf.py)"))
    func smolLM2LogitsMatchNumpy() throws {
        let tensors = try SafetensorsTensorProvider(contentsOf: RealModels.smolWeights)
        guard case .decoder(let model) = try TransformerRegistry.load(configJSON: try Data(contentsOf: RealModels.smolConfig),
                                                                       tensors: tensors) else {
            Issue.record("SmolLM2 did not load as a decoder"); return
        }
        #expect(model.lmHeadIsTied && model.spec.kvHeads == 3 && model.spec.headDim == 64)
        // "The capital of France is"
        let tokens = [504, 3575, 282, 4649, 314]
        let logits = try model.logits(tokens: tokens)
        let last = Array(logits.data[(tokens.count - 1) * 49152..<tokens.count * 49152])
        let top = last.indices.sorted { last[$0] > last[$1] }.prefix(5)
        #expect(Array(top) == [7042, 260, 4528, 2250, 1315])
        for (id, value) in zip([7042, 260, 4528, 2250, 1315], [17.3713, 14.8886, 13.2450, 13.0095, 12.9515] as [Float]) {
            #expect(abs(last[id] - value) < 1e-4 * 20, "logit[\(id)] = \(last[id]), want \(value)")
        }
        let first8: [Float] = [1.6136, -11.8719, -7.9445, -9.3469, -10.0852, -10.8128, -3.9415, -10.8056]
        for i in 0..<8 { #expect(abs(last[i] - first8[i]) < 1e-4 * 20, "logit[\(i)] = \(last[i]), want \(first8[i])") }

        // The same last position through the KV cache, one token at a time.
        var cache = model.makeCache()
        var step = Tensor(zeros: [1, 1])
        for t in tokens { step = try model.decode(token: t, cache: &cache) }
        #expect(relativeError(step.data, last) < 1e-5)
    }

    /// A 256-token window takes minutes in a debug build (the GEMM unoptimised), so this runs
    /// only when asked: `PARE_LONG_TESTS=1 swift test -c release -Xswiftc -enable-testing`.
    @Test(.enabled(if: RealModels.hasSmolLM2 && RealModels.longTestsWanted,
                   "needs the dequantized SmolLM2 and PARE_LONG_TESTS=1"))
    func smolLM2PerplexityOfEmmasFirstWindow() throws {
        let tokens = try JSONDecoder().decode([Int].self, from: Data(contentsOf: Fixtures.url("transformers/emma_first256_smollm2_ids.json")))
        #expect(tokens.count == 256 && tokens.prefix(5) == [3709, 7227, 198, 198, 3087])
        let tensors = try SafetensorsTensorProvider(contentsOf: RealModels.smolWeights)
        guard case .decoder(let model) = try TransformerRegistry.load(configJSON: try Data(contentsOf: RealModels.smolConfig),
                                                                       tensors: tensors) else {
            Issue.record("SmolLM2 did not load as a decoder"); return
        }
        let logits = try model.logits(tokens: tokens)
        let vocab = model.spec.vocabSize
        var nll = 0.0
        for t in 0..<255 {
            let row = logits.data[t * vocab..<(t + 1) * vocab]
            let m = Double(row.max()!)
            let logSumExp = m + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
            nll += logSumExp - Double(row[row.startIndex + tokens[t + 1]])
        }
        nll /= 255
        #expect(abs(nll - 3.47049) < 1e-4, "mean NLL \(nll)")
        #expect(abs(Foundation.exp(nll) - 32.153) < 5e-3, "perplexity \(Foundation.exp(nll))")
    }
}
