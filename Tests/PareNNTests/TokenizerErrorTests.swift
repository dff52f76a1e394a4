import Foundation
import Testing
@testable import PareNN

/// Bad tokenizer files and inputs are typed errors with one sentence naming the file.
@Suite struct TokenizerErrorTests {
    static func load(_ json: String) throws(TokenizerError) -> any Tokenizer {
        try TokenizerLoader.load(tokenizerJSON: Data(json.utf8), source: "bad.json")
    }

    @Test func notJSON() {
        #expect { try Self.load("{ not json") } throws: { e in
            guard case .notJSON(source: "bad.json", _) = e as? TokenizerError else { return false }
            return "\(e)".hasPrefix("Tokenizer file 'bad.json' is not valid JSON")
        }
        #expect(throws: TokenizerError.self) { try Self.load("[1, 2]") }
    }

    @Test func unknownModelType() {
        #expect(throws: TokenizerError.unsupportedModel(source: "bad.json", type: "Unigram")) {
            try Self.load(#"{"model": {"type": "Unigram", "vocab": []}}"#)
        }
        #expect(throws: TokenizerError.missingField(source: "bad.json", field: "model")) { try Self.load("{}") }
        #expect("\(TokenizerError.unsupportedModel(source: "bad.json", type: "Unigram"))"
                == "Tokenizer 'bad.json' has model type 'Unigram', but only byte-level BPE and WordPiece are supported.")
    }

    static let bytes = (0..<256).map { "\"\(String(ByteLevelTable.scalarForByte[$0]).unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined())\": \($0)" }
        .joined(separator: ", ")

    static func bpe(merges: String, extra: String = "") -> String {
        #"{"model": {"type": "BPE", "vocab": {"# + bytes + extra + #"}, "merges": "# + merges
            + #"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}"#
    }

    @Test func mergesReferringToUnknownTokens() throws {
        _ = try Self.load(Self.bpe(merges: #"["a b"]"#, extra: #", "ab": 256"#))
        #expect(throws: TokenizerError.unknownMergeToken(source: "bad.json", merge: "a q", index: 1)) {
            try Self.load(Self.bpe(merges: #"["a b", "a q"]"#, extra: #", "ab": 256"#))
        }
        // The merged token itself must be in the vocabulary too.
        #expect(throws: TokenizerError.unknownMergeToken(source: "bad.json", merge: "a c", index: 0)) {
            try Self.load(Self.bpe(merges: #"[["a", "c"]]"#))
        }
        #expect(throws: TokenizerError.badMerge(source: "bad.json", merge: "abc", index: 0)) {
            try Self.load(Self.bpe(merges: #"["abc"]"#))
        }
        #expect(throws: TokenizerError.unknownMergeToken(source: "GGUF metadata", merge: "x y", index: 0)) {
            try BPETokenizer(vocab: TokenizerBPETests.byteVocab([]), merges: ["x y"], preTokenizer: .gpt2, source: "GGUF metadata")
        }
    }

    @Test func unsupportedPreTokenizerAndMissingBytes() {
        #expect(throws: TokenizerError.self) {
            try Self.load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Metaspace"}}"#)
        }
        #expect(throws: TokenizerError.missingByteSymbols(source: "bad.json", count: 255)) {
            try Self.load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#)
        }
        #expect(throws: TokenizerError.badTokenID(source: "t", what: "BOS token", id: 300, vocabularySize: 256)) {
            try BPETokenizer(vocab: TokenizerBPETests.byteVocab([]), merges: [], preTokenizer: .gpt2, bosID: 300, source: "t")
        }
    }

    @Test func unreadableFileAndInvalidUTF8() throws {
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(tokenizerJSON: URL(fileURLWithPath: "/nonexistent/tokenizer.json")) }
        let t = try BPETokenizer(vocab: TokenizerBPETests.byteVocab([]), merges: [], preTokenizer: .gpt2)
        #expect(throws: TokenizerError.invalidUTF8(source: "input", byteOffset: 2)) { try t.encode(bytes: [0x61, 0x62, 0xFF, 0x63]) }
        #expect(throws: TokenizerError.invalidUTF8(source: "input", byteOffset: 1)) { try t.encode(bytes: [0x61, 0xE2, 0x82]) }
        #expect(throws: TokenizerError.invalidUTF8(source: "input", byteOffset: 0)) { try t.encode(bytes: [0xC0, 0x80]) }  // overlong
        #expect(throws: TokenizerError.invalidUTF8(source: "input", byteOffset: 1)) { try t.encode(bytes: [0x20, 0xED, 0xA0, 0x80]) }  // surrogate
        #expect(try t.encode(bytes: Array("é€😀".utf8)).count == 9)
        #expect("\(TokenizerError.invalidUTF8(source: "emma.txt", byteOffset: 7))" == "Text 'emma.txt' is not valid UTF-8 (first bad byte at offset 7).")
    }
}
