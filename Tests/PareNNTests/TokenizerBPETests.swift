import Foundation
import Testing
@testable import PareNN
import PareTestSupport

@Suite struct TokenizerBPETests {
    /// A vocabulary of the 256 byte symbols plus `extra`, so hand-made merges can be tested.
    static func byteVocab(_ extra: [String]) -> [String] {
        (0..<256).map { String(ByteLevelTable.scalarForByte[$0]) } + extra
    }

    @Test func byteTableIsGPT2s() {
        // Hand-checked entries of GPT-2's bytes_to_unicode: printable bytes are themselves,
        // space is U+0120 'Ġ', newline U+010A 'Ċ', 0x00 U+0100, 0x7F U+0121, 0xAD U+0143.
        #expect(ByteLevelTable.scalarForByte[0x41] == "A")
        #expect(ByteLevelTable.scalarForByte[0x20] == "Ġ")
        #expect(ByteLevelTable.scalarForByte[0x0A] == "Ċ")
        #expect(ByteLevelTable.scalarForByte[0x00] == "\u{100}")
        #expect(ByteLevelTable.scalarForByte[0x7F] == "\u{121}")
        #expect(ByteLevelTable.scalarForByte[0xAD] == "\u{143}")
        #expect(Set(ByteLevelTable.scalarForByte).count == 256)
        for b in 0..<256 { #expect(ByteLevelTable.byte(for: ByteLevelTable.scalarForByte[b]) == UInt8(b)) }
        #expect(ByteLevelTable.byte(for: "\u{144}") == nil)
    }

    /// Merges worked by hand: "a b" (rank 0) before "b c" (rank 1) decides "abc" as ab·c, and
    /// "ab c" (rank 2) then joins them; "bc" alone where "a" is not before it.
    @Test func mergesApplyByRankHandComputed() throws {
        let vocab = Self.byteVocab(["ab", "bc", "abc", "Ġab"])
        let t = try BPETokenizer(vocab: vocab, merges: ["a b", "b c", "ab c", "Ġ ab"], preTokenizer: .gpt2)
        let id = { (s: String) in t.id(for: s)! }
        #expect(t.encode("abc") == [id("abc")])
        #expect(t.encode("bcab") == [id("bc"), id("ab")])
        #expect(t.encode("abab c") == [id("ab"), id("ab"), id("Ġ"), id("c")])
        #expect(t.encode("x ab") == [id("x"), id("Ġab")])
        #expect(t.encode("") == [])
        #expect(t.decode(t.encode("abab c x ab")) == "abab c x ab")
    }

    @Test(arguments: ["smollm", "gpt2", "llama3"])
    func tinyModelMatchesHuggingFace(_ pipeline: String) throws {
        let parts = try TokenizerFixtures.tinyBPEParts()
        let pre = BPEPreTokenizer(rawValue: pipeline)!
        let t = try BPETokenizer(vocab: parts.vocab, merges: parts.merges, preTokenizer: pre,
                                 addedTokens: parts.added, ignoreMerges: false)
        for c in try TokenizerFixtures.bpeCases(pipeline) {
            #expect(t.encode(c.text) == c.ids, "\(pipeline): \(c.text.debugDescription)")
            #expect(t.decode(c.ids) == c.decoded, "\(pipeline): \(c.text.debugDescription)")
            if !c.text.contains("<|") { #expect(pre.pieces(c.text).count == c.pieces, "\(c.text.debugDescription)") }
        }
    }

    @Test func loaderReadsTokenizerJSONOfEachPipeline() throws {
        let smollm = try #require(try TokenizerLoader.load(tokenizerJSON: TokenizerFixtures.url("bpe-tiny.tokenizer.json")) as? BPETokenizer)
        #expect(smollm.preTokenizer == .smollm)
        #expect(smollm.vocabularySize == 534)
        for c in try TokenizerFixtures.bpeCases("smollm") { #expect(smollm.encode(c.text) == c.ids) }
        let llama = try #require(try TokenizerLoader.load(tokenizerJSON: TokenizerFixtures.url("bpe-tiny-llama3.tokenizer.json")) as? BPETokenizer)
        #expect(llama.preTokenizer == .llama3)
        for c in try TokenizerFixtures.bpeCases("llama3") { #expect(llama.encode(c.text) == c.ids) }
    }

    @Test func specialTokensAreMatchedWholeAndSkippable() throws {
        let parts = try TokenizerFixtures.tinyBPEParts()
        let t = try BPETokenizer(vocab: parts.vocab, merges: parts.merges, preTokenizer: .smollm, bosID: 1, eosID: 2,
                                 addBOS: true, addEOS: true, addedTokens: parts.added)
        let start = t.id(for: "<|im_start|>")!, end = t.id(for: "<|im_end|>")!
        let ids = t.encode("<|im_start|>hi<|im_end|>")
        #expect(ids.first == 1 && ids.last == 2)
        #expect(ids[1] == start && ids[ids.count - 2] == end)
        #expect(t.encode("<|im_start|>", addSpecialTokens: false, maxLength: nil) == [start])
        #expect(t.decode(ids) == "<|im_start|><|im_start|>hi<|im_end|><|im_end|>")
        #expect(t.decode(ids, skipSpecialTokens: true) == "hi")
        // A partial special token is ordinary text.
        #expect(!t.encode("<|im_sta", addSpecialTokens: false, maxLength: nil).contains(start))
        #expect(t.encode("hello there", addSpecialTokens: true, maxLength: 4).count == 4)
    }

    /// The heap merge loop used for long pieces gives what the scan gives, on random byte runs.
    @Test func heapMergeEqualsScanMerge() throws {
        let parts = try TokenizerFixtures.tinyBPEParts()
        let t = try BPETokenizer(vocab: parts.vocab, merges: parts.merges, preTokenizer: .gpt2)
        var rng = SplitMix64(seed: 7)
        let letters = Array("the quick brown fox jumps dog's day 1815 ".utf8)
        var work = BPETokenizer.MergeWork()
        for _ in 0..<300 {
            let n = Int(rng.next() % 200) + 2
            let bytes = (0..<n).map { _ in letters[Int(rng.next() % UInt64(letters.count))] }
            let symbols = bytes.map { Int32(t.id(for: String(ByteLevelTable.scalarForByte[Int($0)]))!) }
            #expect(t.mergeByHeap(symbols, &work) == t.mergeByScan(symbols))
        }
        // And a long single word takes the heap path through encode.
        let long = String(repeating: "thequickbrownfox", count: 40)
        #expect(t.decode(t.encode(long)) == long)
    }

    @Test func decodeReplacesInvalidUTF8AndUnknownIDs() throws {
        let t = try BPETokenizer(vocab: Self.byteVocab([]), merges: [], preTokenizer: .gpt2)
        let e9 = t.id(for: String(ByteLevelTable.scalarForByte[0xE9]))!
        #expect(t.decode([t.id(for: "a")!, e9, t.id(for: "b")!]) == "a\u{FFFD}b")
        #expect(t.decode([t.id(for: "a")!, 10_000, -1]) == "a\u{FFFD}\u{FFFD}")
        #expect(t.encode("é") == [0xC3, 0xA9].map { t.id(for: String(ByteLevelTable.scalarForByte[$0]))! })
    }

    @Test func ggufMetadataBuildsTheTokenizer() throws {
        let parts = try TokenizerFixtures.tinyBPEParts()
        // Token types as GGUF stores them: the three specials are control tokens (3).
        let types = parts.vocab.indices.map { $0 < 3 ? 3 : 1 }
        let meta = GGUFTokenizerMetadata(model: "gpt2", pre: "smollm", tokens: parts.vocab, merges: parts.merges,
                                         tokenTypes: types, bosID: 1, eosID: 2, padID: 2, unknownID: 0, addBOS: false)
        let t = try TokenizerLoader.load(gguf: meta)
        #expect(t.bosID == 1 && t.eosID == 2 && t.padID == 2)
        for c in try TokenizerFixtures.bpeCases("smollm") { #expect(t.encode(c.text) == c.ids) }
        var bad = meta
        bad.pre = "qwen2"
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(gguf: bad) }
        bad = meta
        bad.model = "llama"
        #expect(throws: TokenizerError.unsupportedModel(source: "GGUF metadata", type: "tokenizer.ggml.model = llama")) {
            try TokenizerLoader.load(gguf: bad)
        }
    }
}
