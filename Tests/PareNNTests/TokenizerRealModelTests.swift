import Foundation
import Testing
@testable import PareNN

/// The real tokenizers of MODELS.md, skipped when the cache lacks them (scripts/fetch-models,
/// then scripts/fixtures/dump-gguf-tokenizer.py and smollm2-hf-reference.py for the SmolLM2 files).
@Suite struct TokenizerRealModelTests {
    static let miniLM = "all-MiniLM-L6-v2/tokenizer.json"
    static let smolDump = "smollm2/tokenizer-dump.json"
    static let smolJSON = "smollm2/tokenizer-hf.json"
    static let smolLines = "smollm2/hf-reference-ids.json"
    static let miniLines = "all-MiniLM-L6-v2/hf-reference-ids.json"
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
        // BERT's bare vocab.txt gives the same ids.
        let plain = try WordPieceTokenizer(vocabFile: PareCache.url("all-MiniLM-L6-v2/vocab.txt"))
        #expect(plain.vocabularySize == 30522)
        #expect(plain.encode("This is an example sentence") == [101, 2023, 2003, 2019, 2742, 6251, 102])
        #expect(plain.encode("A man is eating a piece of bread.") == t.encode("A man is eating a piece of bread."))
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

    /// Texts and their ids as Hugging Face's `tokenizers` encodes them (a reference script's output).
    static func reference(_ relative: String) throws -> [(text: String, ids: [Int])] {
        let d = try JSONSerialization.jsonObject(with: Data(contentsOf: PareCache.url(relative))) as! [String: Any]
        return zip(d["texts"] as! [String], d["ids"] as! [[Int]]).map { ($0, $1) }
    }

    static func expectSame(_ t: any Tokenizer, _ cases: [(text: String, ids: [Int])], addSpecialTokens: Bool) {
        #expect(cases.count >= 1000)
        var mismatches = 0
        for c in cases {
            let got = t.encode(c.text, addSpecialTokens: addSpecialTokens, maxLength: nil)
            if got != c.ids {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(c.text.debugDescription): \(got) vs \(c.ids)") }
            }
        }
        #expect(mismatches == 0)
    }

    /// The first thousands of lines of emma and the VADER snippets against Hugging Face's
    /// `tokenizers` on the same vocabulary: every line's ids identical.
    @Test(.enabled(if: PareCache.has(smolDump) && PareCache.has(smolLines)))
    func smolLM2LinesMatchHuggingFace() throws {
        Self.expectSame(try Self.smolLM2(), try Self.reference(Self.smolLines), addSpecialTokens: false)
    }

    @Test(.enabled(if: PareCache.has(miniLM) && PareCache.has(miniLines)))
    func miniLMLinesMatchHuggingFace() throws {
        let t = try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.miniLM))
        Self.expectSame(t, try Self.reference(Self.miniLines), addSpecialTokens: true)
    }

    /// The same vocabulary saved as a Hugging Face tokenizer.json goes through the JSON loader.
    @Test(.enabled(if: PareCache.has(smolJSON)))
    func smolLM2TokenizerJSON() throws {
        let t = try #require(try TokenizerLoader.load(tokenizerJSON: PareCache.url(Self.smolJSON)) as? BPETokenizer)
        #expect(t.preTokenizer == .smollm && t.vocabularySize == 49152)
        #expect(t.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
    }
}
