import Foundation
import Testing
@testable import PareNN

/// The real tokenizers of MODELS.md, skipped when the cache lacks them (scripts/fetch-models,
/// then scripts/fixtures/dump-gguf-tokenizer.py and smollm2-hf-reference.py for the SmolLM2 files).
@Suite struct TokenizerRealModelTests {
    static let miniLM = "all-MiniLM-L6-v2/tokenizer.json"
    static let smolDump = "smollm2/tokenizer-dump.json"
    static let smolJSON = "smollm2/tokenizer.json"
    static let smolLines = "smollm2/emma-hf-ids.json"
    static let emma = "austen/emma.txt"
    static let emmaFirst20 = [3709, 7227, 198, 198, 3087, 12405, 33015, 22342, 198, 70, 7113, 69, 3945, 339, 16506, 198, 5229, 41958, 339, 1116]

    @Test(.enabled(if: PareCache.has(miniLM)))
    func miniLMExampleSentence() throws {
        let t = try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.miniLM))
        #expect(t.encode("This is an example sentence") == [101, 2023, 2003, 2019, 2742, 6251, 102])
        #expect(t.vocabularySize == 30522)
        #expect(t.padID == 0 && t.unknownID == 100)
        #expect((t as? WordPieceTokenizer)?.fileMaxLength == 128)
        #expect(t.decode(t.encode("This is an example sentence"), skipSpecialTokens: true) == "this is an example sentence")
    }

    /// The GGUF's tokenizer, read by the PyPI gguf package into a dump until the Swift GGUF reader lands.
    static func smolLM2() throws -> BPETokenizer {
        let d = try JSONSerialization.jsonObject(with: Data(contentsOf: PareCache.url(smolDump))) as! [String: Any]
        let meta = GGUFTokenizerMetadata(
            model: d["model"] as! String, pre: d["pre"] as? String, tokens: d["tokens"] as! [String],
            merges: d["merges"] as! [String], tokenTypes: d["token_type"] as? [Int], bosID: d["bos_token_id"] as? Int,
            eosID: d["eos_token_id"] as? Int, padID: d["padding_token_id"] as? Int, unknownID: d["unknown_token_id"] as? Int,
            addBOS: d["add_bos_token"] as? Bool, addEOS: d["add_eos_token"] as? Bool)
        return try BPETokenizer(gguf: meta, source: PareCache.url(smolDump).path)
    }

    @Test(.enabled(if: PareCache.has(smolDump)))
    func smolLM2ReferenceIDs() throws {
        let t = try Self.smolLM2()
        #expect(t.vocabularySize == 49152)
        #expect(t.bosID == 1 && t.eosID == 2 && t.padID == 2 && t.template == .none)
        #expect(t.preTokenizer == .smollm)
        #expect(t.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        #expect(t.decode([504, 3575, 282, 4649, 314]) == "The capital of France is")
        // Bytes without a token (SmolLM2 lacks 21) are dropped, as Hugging Face and llama.cpp do.
        #expect(t.encode("a\u{4}b\u{13}c") == [81, 82, 83])
        #expect(t.encode("<|im_start|>user\nHi<|im_end|>").first == 1)
    }

    @Test(.enabled(if: PareCache.has(smolDump) && PareCache.has(emma)))
    func smolLM2Emma() throws {
        let t = try Self.smolLM2()
        let text = try TokenizerText.load(contentsOf: PareCache.url(Self.emma))
        let ids = t.encode(text)
        #expect(ids.count == 221_850)
        #expect(Array(ids.prefix(20)) == Self.emmaFirst20)
        #expect(t.decode(ids) == text)
    }

    /// Every one of the first lines of emma against Hugging Face's `tokenizers` on the same vocabulary.
    @Test(.enabled(if: PareCache.has(smolDump) && PareCache.has(emma) && PareCache.has(smolLines)))
    func smolLM2EmmaLinesMatchHuggingFace() throws {
        let t = try Self.smolLM2()
        let reference = (try JSONSerialization.jsonObject(with: Data(contentsOf: PareCache.url(Self.smolLines))) as! [String: Any])["lines"] as! [[Int]]
        let lines = try TokenizerText.load(contentsOf: PareCache.url(Self.emma)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(reference.count >= 1000)
        var mismatches = 0
        for (line, expected) in zip(lines, reference) where t.encode(String(line)) != expected {
            mismatches += 1
            if mismatches <= 3 { Issue.record("line \(line.debugDescription): \(t.encode(String(line))) vs \(expected)") }
        }
        #expect(mismatches == 0)
    }

    /// The same vocabulary saved as a Hugging Face tokenizer.json goes through the JSON loader.
    @Test(.enabled(if: PareCache.has(smolJSON)))
    func smolLM2TokenizerJSON() throws {
        let t = try #require(try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.smolJSON)) as? BPETokenizer)
        #expect(t.preTokenizer == .smollm && t.vocabularySize == 49152)
        #expect(t.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
    }
}
