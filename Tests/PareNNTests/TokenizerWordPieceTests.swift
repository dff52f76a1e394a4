import Foundation
import Testing
@testable import PareNN

@Suite struct TokenizerWordPieceTests {
    struct Case { let text: String; let ids: [Int]; let decoded: String; let decodedSkip: String; let truncated8: [Int] }

    static func cases() throws -> [Case] {
        (try TokenizerFixtures.json("wordpiece-tiny.cases.json") as! [[String: Any]]).map {
            Case(text: $0["text"] as! String, ids: $0["ids"] as! [Int], decoded: $0["decoded"] as! String,
                 decodedSkip: $0["decoded_skip"] as! String, truncated8: $0["truncated8"] as! [Int])
        }
    }

    static func load() throws -> WordPieceTokenizer {
        try #require(try TokenizerLoader.load(tokenizerJSON: TokenizerFixtures.url("wordpiece-tiny.tokenizer.json")) as? WordPieceTokenizer)
    }

    @Test func tinyVocabularyMatchesHuggingFace() throws {
        let t = try Self.load()
        #expect(t.clsID == 2 && t.sepID == 3 && t.padID == 0 && t.unknownID == 1)
        #expect(t.fileMaxLength == 16)  // kept, not applied: padding and truncation are off
        #expect(t.maxInputCharsPerWord == 12)
        for c in try Self.cases() {
            #expect(t.encode(c.text) == c.ids, "\(c.text.debugDescription)")
            #expect(t.decode(c.ids) == c.decoded, "\(c.text.debugDescription)")
            #expect(t.decode(c.ids, skipSpecialTokens: true) == c.decodedSkip, "\(c.text.debugDescription)")
            #expect(t.encode(c.text, addSpecialTokens: true, maxLength: 8) == c.truncated8, "\(c.text.debugDescription)")
        }
    }

    /// Hand-worked: "unaffable" is un ##aff ##able; a word with no split is one [UNK]; words
    /// longer than max_input_chars_per_word are [UNK]; punctuation splits off.
    @Test func greedyLongestMatchHandComputed() throws {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "!", "a", "##a"]
        let t = try WordPieceTokenizer(vocab: vocab, maxInputCharsPerWord: 9)
        #expect(t.encode("unaffable!") == [2, 4, 5, 6, 7, 3])
        #expect(t.encode("unaffable", addSpecialTokens: false, maxLength: nil) == [4, 5, 6])
        #expect(t.encode("unx") == [2, 1, 3])
        #expect(t.encode("aaaaa aaaaaaaaaa") == [2, 8, 9, 9, 9, 9, 1, 3])
        #expect(t.decode([2, 4, 5, 6, 7, 3], skipSpecialTokens: true) == "unaffable!")
    }

    @Test func vocabTXTAndDirectoryLoading() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pare-wp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(directory: dir) }
        try Data("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nun\r\n##aff\r\n##able\r\n".utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        let t = try TokenizerLoader.load(directory: dir)
        #expect(t.vocabularySize == 7)
        #expect(t.encode("Unaffable") == [2, 4, 5, 6, 3])
        try Data([0x61, 0xFF, 0x0A]).write(to: dir.appendingPathComponent("vocab.txt"))
        #expect(throws: TokenizerError.invalidUTF8(source: dir.appendingPathComponent("vocab.txt").path, byteOffset: 1)) {
            try TokenizerLoader.load(directory: dir)
        }
    }

    @Test func normalizerFollowsBERT() {
        let n = BertNormalizer()
        #expect(n.normalize("Héllo\tWORLD\u{0}\u{7}") == "hello world")
        #expect(n.normalize("中文") == " 中  文 ")
        #expect(n.normalize("ΣΟΣ") == "σοσ")
        #expect(BertNormalizer(stripAccents: false).normalize("Café") == "café")
        #expect(BertNormalizer.preTokenize("hi, there!  ok$") == ["hi", ",", "there", "!", "ok", "$"])
    }
}
