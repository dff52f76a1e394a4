import Foundation
import PareNN
import PareStore
import PareTensor

/// Running a transformer for a person to look at: its tokenizer's ids, a decoder's
/// continuation of a prompt, an encoder's sentence embedding. The model comes from a file
/// (`--model`) or from a recorded run (`--run`), exactly as that run was evaluated.
public enum Inference {
    /// A transformer and its tokenizer, ready to run.
    public struct Loaded: Sendable {
        public var model: TransformerModel
        public var tokenizer: any Tokenizer
        /// Where it came from, for messages ("run 3", "SmolLM2-135M-Instruct.Q4_1.gguf").
        public var source: String
    }

    /// The model file at `path` (a Hugging Face directory or GGUF file), with its tokenizer.
    public static func load(modelPath path: String) throws -> Loaded {
        guard FileManager.default.fileExists(atPath: path) else { throw PareError("no model file at \(path).") }
        guard let url = try TransformerIO.checkpoint(at: URL(fileURLWithPath: path)) else {
            throw PareError("\(path) is an MLP; tokenize, generate and embed run transformers (a Hugging Face directory or a GGUF file).")
        }
        // No content hash here (the record needs one; running the model does not).
        let loaded = try TransformerIO.loadCheckpoint(url)
        let model = loaded.model
        guard let tokenizer = loaded.tokenizer else {
            throw PareError("\(path) has no tokenizer (tokenizer.json); tokenize, generate and embed need one.")
        }
        return Loaded(model: model, tokenizer: tokenizer, source: path)
    }

    /// Run `id`'s compressed model, with its base model's recorded tokenizer.
    public static func load(run id: Int64, from store: any RunModelReading) throws -> Loaded {
        let (model, files) = try StoredModel.loadTransformer(run: id, from: store)
        guard let transformer = model.transformer else {
            throw PareError("run \(id) compressed an MLP; tokenize, generate and embed run transformers.")
        }
        guard let json = files[TransformerIO.tokenizerFile] else {
            throw PareError("run \(id)'s base model was recorded without a tokenizer; run the model file with --model instead.")
        }
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: Data(json), source: "run \(id)'s tokenizer.json")
        return Loaded(model: transformer, tokenizer: tokenizer, source: "run \(id)")
    }

    /// `text` as the model sees it: with its special tokens (BOS, or [CLS] … [SEP]) unless told otherwise.
    public static func tokenize(_ text: String, with tokenizer: any Tokenizer, addSpecialTokens: Bool = true) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: addSpecialTokens, maxLength: nil)
    }

    /// How `generate` picks each next token.
    public struct Sampling: Sendable {
        /// 0 = greedy (the most likely token, deterministic); above 0 samples from softmax(logits / T).
        public var temperature: Double = 0
        public var seed: UInt64 = 0
        public init(temperature: Double = 0, seed: UInt64 = 0) {
            self.temperature = temperature
            self.seed = seed
        }
    }

    /// Continues `prompt` by at most `maxTokens` tokens (stopping at the end-of-sequence token),
    /// with the KV cache. `onText` receives each new piece of text as soon as it is whole UTF-8.
    /// Returns the generated ids.
    public static func generate(_ decoder: CausalDecoder, tokenizer: any Tokenizer, prompt: String, maxTokens: Int,
                                sampling: Sampling = .init(), onText: (String) -> Void = { _ in }) throws -> [Int] {
        let promptIDs = tokenize(prompt, with: tokenizer)
        guard !promptIDs.isEmpty else { throw PareError("the prompt is empty; give some text to continue.") }
        guard promptIDs.count + maxTokens <= decoder.spec.maxPositions else {
            throw PareError("the prompt (\(promptIDs.count) tokens) plus --max-tokens \(maxTokens) exceed the model's context of \(decoder.spec.maxPositions) tokens.")
        }
        var random = SeededRandom(seed: sampling.seed)
        var cache = decoder.makeCache(reservingPositions: promptIDs.count + maxTokens)
        var logits = try decoder.prefill(tokens: promptIDs, cache: &cache)
        var generated: [Int] = []
        var printed = ""
        for _ in 0..<maxTokens {
            let row = Array(logits.data[(logits.rows - 1) * logits.columns..<logits.rows * logits.columns])
            let next = pick(row, sampling: sampling, random: &random)
            if next == tokenizer.eosID { break }
            generated.append(next)
            let text = tokenizer.decode(generated, skipSpecialTokens: false)
            // Hold back a piece that ends inside a multi-byte character until it is whole.
            if !text.hasSuffix("\u{FFFD}"), text.hasPrefix(printed) {
                onText(String(text.dropFirst(printed.count)))
                printed = text
            }
            logits = try decoder.decode(token: next, cache: &cache)
        }
        let text = tokenizer.decode(generated, skipSpecialTokens: false)
        if text.count > printed.count, text.hasPrefix(printed) { onText(String(text.dropFirst(printed.count))) }
        return generated
    }

    static func pick(_ logits: [Float], sampling: Sampling, random: inout SeededRandom) -> Int {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        guard sampling.temperature > 0 else { return best }
        let t = sampling.temperature, top = Double(logits[best])
        let weights = logits.map { exp((Double($0) - top) / t) }
        var u = random.nextDouble() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return i }
        }
        return best
    }

    /// The sentence-transformers embedding of `sentence` (mean-pooled, L2-normalised), with the
    /// tokenizer's special tokens and truncation to the model's positions.
    public static func embed(_ encoder: BertModel, tokenizer: any Tokenizer, sentence: String) throws -> [Float] {
        let ids = tokenizer.encode(sentence, addSpecialTokens: true, maxLength: encoder.config.maxPositionEmbeddings)
        return try encoder.sentenceEmbedding(tokens: ids)
    }
}
