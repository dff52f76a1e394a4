import Foundation
import Testing
@testable import PareNN
import PareTestSupport

/// The hand-written pre-tokenizer scanners against the regexes they replace (Swift Regex, matched
/// on Unicode scalars as Oniguruma and llama.cpp do), on tricky strings and on random ones.
@Suite struct TokenizerPreTokenizerTests {
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    static func regexPieces(_ text: String, _ pattern: String) -> [String] {
        let regex = try! Regex(pattern).matchingSemantics(.unicodeScalar)
        return text.matches(of: regex).map { String(text.unicodeScalars[$0.range]) }
    }

    /// SmolLM's reference: each `\p{N}` scalar alone, then the GPT-2 regex on the stretches between.
    static func smollmReference(_ text: String) -> [String] {
        let digit = try! Regex(#"\p{N}"#).matchingSemantics(.unicodeScalar)
        var out: [String] = [], run = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if String(s).wholeMatch(of: digit) != nil {
                out += regexPieces(String(run), gpt2Pattern); run = String.UnicodeScalarView()
                out.append(String(s))
            } else { run.append(s) }
        }
        return out + regexPieces(String(run), gpt2Pattern)
    }

    static func reference(_ mode: BPEPreTokenizer, _ text: String) -> [String] {
        switch mode {
        case .gpt2: regexPieces(text, gpt2Pattern)
        case .llama3: regexPieces(text, TokenizerLoader.llama3Pattern)
        case .smollm: smollmReference(text)
        }
    }

    static let tricky: [String] = [
        "", "a", " ", "  ", "\n", "Hello world", "Hello  world", "Hello   world ", "   leading", "trailing   ",
        "It's the dog's day, isn't it? We'll see; they've gone, I'm here, he'd say.",
        "IT'S I'M WE'LL THEY'VE HE'D YOU'RE DON'T", "'s 'S ''s '' 'x 're'll", "rock'n'roll o'clock",
        "12345", "3.14159", "x2y", "a1b22c333d4444", "1,000,000 and 10 000", " 1 22 333 ", "\u{663}\u{664}\u{665} \u{2167}\u{2168} ½¼",
        "Café naïve résumé", "e\u{301}e\u{301} combining", "日本語のテキスト", "привет мир", "مرحبا بالعالم", "שָׁלוֹם",
        "emoji 😀👍🏽 👨‍👩‍👧 family", "🇫🇷 flag", "tabs\tand\t\tmore\t", "line one\nline two\n\nline four",
        "windows\r\nline\r\n\r\nend", " \n \n  \n", "\n\n\nword", "word\n\n\n", " \t \t x",
        "punctuation!!! ...? (parens) [brackets] {braces} \"quotes\" --dash--", "a.b,c;d:e", "$19.99 €5 £3",
        "\u{a0}nbsp\u{a0}here \u{2003}em\u{3000}ideographic", "\u{2028}sep\u{2029}", "zero\u{200b}width", "soft\u{ad}hyphen",
        "<|im_start|>user\nHi<|im_end|>", "def f(x):\n    return x + 1  # comment\n", "  \r\n  \r\n", "a\r\rb", "\r\n\t \nx",
        " 's", "  's", "\u{1F600}'s", "x\u{0}y\u{7}z", "A\u{10FFFF}B",
    ]

    @Test(arguments: BPEPreTokenizer.allCases)
    func scannerMatchesRegexOnTrickyStrings(_ mode: BPEPreTokenizer) {
        for text in Self.tricky {
            #expect(mode.pieces(text) == Self.reference(mode, text), "\(mode) on \(text.debugDescription)")
        }
    }

    /// Random strings over an alphabet of the characters the rules distinguish.
    @Test(arguments: BPEPreTokenizer.allCases)
    func scannerMatchesRegexOnRandomStrings(_ mode: BPEPreTokenizer) {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "s", "t", "r", "e", "v", "l", "m", "d", "S", "L", "'", " ", " ", "\n", "\r",
                                          "\t", "1", "7", "\u{663}", "½", ".", ",", "!", "é", "\u{301}", "日", "😀", "\u{a0}", "\u{3000}", "_", "-"]
        var rng = SplitMix64(seed: 42)
        for _ in 0..<400 {
            var v = String.UnicodeScalarView()
            for _ in 0..<(Int(rng.next() % 24) + 1) { v.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let text = String(v)
            let got = mode.pieces(text)
            #expect(got == Self.reference(mode, text), "\(mode) on \(text.debugDescription)")
            #expect(got.joined() == text)
        }
    }

    @Test func ggufNamesMapToPreTokenizers() {
        #expect(BPEPreTokenizer(ggufName: "smollm") == .smollm)
        #expect(BPEPreTokenizer(ggufName: "llama-bpe") == .llama3)
        #expect(BPEPreTokenizer(ggufName: "default") == .gpt2)
        #expect(BPEPreTokenizer(ggufName: "qwen2") == nil)
    }
}

