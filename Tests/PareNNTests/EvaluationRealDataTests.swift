import Foundation
import Testing
@testable import PareNN

/// The evaluation on MODELS.md's real models and data, each skipped when its files are absent.
/// The long ones (a 256-token SmolLM2 forward, ~10k MiniLM embeddings) run only with
/// PARE_LONG_TESTS=1, in a release build: `PARE_LONG_TESTS=1 swift test -c release
/// -Xswiftc -enable-testing --filter EvaluationRealDataTests`.
@Suite(.serialized) struct EvaluationRealDataTests {
    static let smolTokenizer = "smollm2/tokenizer-hf.json"
    static let emma = "austen/emma.txt"
    static let vaderTrain = "vader/train.tsv"   // written by scripts/fetch-models
    static let vaderTest = "vader/test.tsv"

    static func emmaSpec(_ options: String) throws -> TextSpec {
        try TextSpec.parse("text:\(PareCache.url(emma).path)\(options)")
    }

    /// The prefix `TextWindows` tokenizes gives exactly the whole text's leading ids.
    @Test(.enabled(if: PareCache.has(smolTokenizer) && PareCache.has(emma)))
    func emmaWindowsEqualTheWholeTextsIDs() throws {
        let t = try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.smolTokenizer))
        let whole = t.encode(try TokenizerText.load(contentsOf: PareCache.url(Self.emma)), addSpecialTokens: false, maxLength: nil)
        #expect(whole.count == 221_850)
        let w = try TextWindows.load(spec: Self.emmaSpec(""), tokenizer: t)
        #expect(w.windows.count == 8 && w.windows.allSatisfy { $0.count == 512 } && w.tokenCount == 4096)
        #expect(w.windows.flatMap { $0 } == Array(whole.prefix(4096)))
        let first256 = try JSONDecoder().decode([Int].self, from: Data(contentsOf: Fixtures.url("transformers/emma_first256_smollm2_ids.json")))
        #expect(try TextWindows.load(spec: Self.emmaSpec(",tokens=256,context=256"), tokenizer: t).windows == [first256])
        let big = try TextWindows.load(spec: Self.emmaSpec(",tokens=100000,context=8192"), tokenizer: t)
        #expect(big.windows.flatMap { $0 } == Array(whole.prefix(100_000)))
        let all = try TextWindows.load(spec: Self.emmaSpec(",tokens=300000,context=8192"), tokenizer: t)
        #expect(all.tokenCount == 221_850)
    }

    static func smolLM2() throws -> CausalDecoder {
        let tensors = try SafetensorsTensorProvider(contentsOf: RealModels.smolWeights)
        guard case .decoder(let model) = try TransformerRegistry.load(configJSON: try Data(contentsOf: RealModels.smolConfig),
                                                                       tensors: tensors) else {
            throw TransformerError.emptyInput("SmolLM2 as a decoder")
        }
        return model
    }

    /// MODELS.md: the first 256 tokens of Emma as one window, mean NLL 3.47049, perplexity 32.153.
    @Test(.enabled(if: RealModels.hasSmolLM2 && RealModels.longTestsWanted && PareCache.has(smolTokenizer) && PareCache.has(emma),
                   "needs the dequantized SmolLM2, its tokenizer, emma.txt and PARE_LONG_TESTS=1"))
    func smolLM2PerplexityOfEmmasFirstWindow() throws {
        let t = try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.smolTokenizer))
        let windows = try TextWindows.load(spec: Self.emmaSpec(",tokens=256,context=256"), tokenizer: t)
        #expect(windows.predictedPositions == 255)
        let model = try Self.smolLM2()
        let m = try LanguageModelEvaluation.metrics(model: model, base: model, windows: windows, measureTiming: true)
        #expect(abs(m["nll"]! - 3.47049) < 1e-4, "mean NLL \(m["nll"]!)")
        #expect(abs(m["perplexity"]! - 32.153) < 5e-3, "perplexity \(m["perplexity"]!)")
        #expect(m["kl_to_base"] == 0 && m["agreement"] == 1)
        print("SmolLM2 emma first 256:", m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    /// The default spec (4096 tokens in windows of 512) once, for the record (no assertion on speed).
    @Test(.enabled(if: RealModels.hasSmolLM2 && RealModels.longTestsWanted && PareCache.has(smolTokenizer) && PareCache.has(emma),
                   "needs the dequantized SmolLM2, its tokenizer, emma.txt and PARE_LONG_TESTS=1"))
    func smolLM2DefaultSpec() throws {
        let t = try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.smolTokenizer))
        let windows = try TextWindows.load(spec: Self.emmaSpec(""), tokenizer: t)
        let started = Date()
        let m = try LanguageModelEvaluation.metrics(model: try Self.smolLM2(), base: nil, windows: windows, measureTiming: true)
        #expect(m["perplexity"]! > 5 && m["perplexity"]! < 100)
        print("SmolLM2 emma 4096/512 (\(Date().timeIntervalSince(started)) s):",
              m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    /// MODELS.md: a logistic probe on MiniLM's embeddings classifies VADER's test split at ~0.78.
    @Test(.enabled(if: RealModels.hasMiniLM && RealModels.longTestsWanted && PareCache.has(vaderTrain) && PareCache.has(vaderTest),
                   "needs all-MiniLM-L6-v2, vader/train.tsv and test.tsv (scripts/fetch-models) and PARE_LONG_TESTS=1"))
    func miniLMProbeOnVader() throws {
        guard case .encoder(let model) = try TransformerRegistry.load(directory: RealModels.miniLM) else {
            Issue.record("MiniLM did not load as an encoder"); return
        }
        let tokenizer = try TokenizerLoader.load(directory: RealModels.miniLM)
        let train = try SentenceSet.load(spec: SentenceSpec(path: PareCache.url(Self.vaderTrain).path))
        let test = try SentenceSet.load(spec: SentenceSpec(path: PareCache.url(Self.vaderTest).path))
        #expect(train.texts.count + test.texts.count == 10_568)
        let started = Date()
        let trainE = try EncoderEvaluation.embeddings(model: model, tokenizer: tokenizer, texts: train.texts)
        let testE = try EncoderEvaluation.embeddings(model: model, tokenizer: tokenizer, texts: test.texts)
        let embedSeconds = Date().timeIntervalSince(started)
        let trained = Date()
        let probe = LinearProbe.train(embeddings: trainE, labels: train.labels!, classes: 2)
        let trainSeconds = Date().timeIntervalSince(trained)
        let accuracy = probe.accuracy(testE, labels: test.labels!)
        #expect(accuracy > 0.74 && accuracy < 0.83, "accuracy \(accuracy)")
        #expect(abs(EncoderEvaluation.embeddingCosine(testE, testE) - 1) < 1e-6)
        print("MiniLM VADER probe: accuracy \(accuracy) (train accuracy \(probe.accuracy(trainE, labels: train.labels!))),",
              "\(trainE.count + testE.count) embeddings in \(embedSeconds) s, probe \(probe.iterations) iterations",
              "converged \(probe.converged) in \(trainSeconds) s")
    }
}
