import Foundation
import Testing
@testable import PareNN

@Suite struct TextWindowsTests {
    static func tinyBPE() throws -> any Tokenizer {
        try TokenizerLoader.load(tokenizerJSON: TokenizerFixtures.url("bpe-tiny.tokenizer.json"))
    }

    @Test func specDefaultsAndOptions() throws {
        #expect(try TextSpec.parse("text:data/emma.txt") == TextSpec(path: "data/emma.txt", tokens: 4096, context: 512))
        #expect(try TextSpec.parse("text:emma.txt,tokens=1000,context=128") == TextSpec(path: "emma.txt", tokens: 1000, context: 128))
        #expect(try TextSpec.parse("emma.txt,context=64") == TextSpec(path: "emma.txt", tokens: 4096, context: 64))
        #expect(try TextSpec.parse("text:/a/b/emma.txt,context=64").name == "emma.txt,tokens=4096,context=64")
    }

    @Test(arguments: [
        ("text:", "names no file"),
        ("text:emma.txt,tokns=5", "unknown option 'tokns'"),
        ("text:emma.txt,tokens=abc", "tokens='abc'"),
        ("text:emma.txt,tokens=0", "tokens='0'"),
        ("text:emma.txt,context=-3", "context='-3'"),
        ("text:emma.txt,context=1", "context=1"),
        ("text:emma.txt,tokens=5,tokens=6", "twice"),
        ("text:emma.txt,tokens", "not key=value"),
    ])
    func badSpecsSayWhy(spec: String, fragment: String) {
        do {
            _ = try TextSpec.parse(spec)
            Issue.record("'\(spec)' parsed")
        } catch let error as EvaluationDataError {
            guard case .badSpec = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.contains("text:FILE[,tokens=N][,context=C]"))
        } catch { Issue.record("\(error)") }
    }

    @Test func contextAgainstTheModelsMaximum() throws {
        let spec = TextSpec(path: "x", context: 512)
        try spec.check(maxContext: 512)
        #expect(throws: EvaluationDataError.contextTooLong(context: 512, maximum: 128)) { try spec.check(maxContext: 128) }
    }

    @Test func cutKeepsALastWindowOfTwoAndDropsOneOfOne() {
        #expect(TextWindows.cut(Array(0..<10), context: 4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        #expect(TextWindows.cut(Array(0..<9), context: 4) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        let w = TextWindows(spec: TextSpec(path: "f.txt", tokens: 9, context: 4), ids: Array(0..<100))
        #expect(w.windows == [[0, 1, 2, 3], [4, 5, 6, 7]] && w.tokenCount == 8 && w.predictedPositions == 6)
        #expect(w.name == "f.txt,tokens=9,context=4")
    }

    @Test func hashCoversIdsAndContextNotTheName() {
        let ids = Array(0..<20)
        let a = TextWindows(spec: TextSpec(path: "a.txt", tokens: 20, context: 10), ids: ids)
        let b = TextWindows(spec: TextSpec(path: "b.txt", tokens: 20, context: 10), ids: ids)
        let c = TextWindows(spec: TextSpec(path: "a.txt", tokens: 20, context: 5), ids: ids)
        let d = TextWindows(spec: TextSpec(path: "a.txt", tokens: 20, context: 10), ids: ids.map { $0 == 7 ? 8 : $0 })
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash != c.contentHash && a.contentHash != d.contentHash)
        #expect(a.contentHash.count == 64)
    }

    /// A text of many lines of varied whitespace, digits and punctuation (the pieces where a
    /// prefix's tokenization could go wrong), long enough that `leadingTokens` cuts it.
    static func longText() -> String {
        var lines: [String] = []
        var state: UInt64 = 12345
        let words = ["the", "Emma", "Woodhouse,", "handsome", "clever,", "1816", "and", "rich", "\"said\"", "it's", "--", "   "]
        for i in 0..<3000 {
            var line: [String] = []
            for _ in 0..<(i % 13) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                line.append(words[Int(state >> 33) % words.count])
            }
            lines.append(line.joined(separator: i % 7 == 0 ? "  " : " ") + (i % 5 == 0 ? " " : ""))
            if i % 11 == 0 { lines.append("") }
        }
        return lines.joined(separator: "\n")
    }

    @Test func aPrefixGivesTheWholeTextsLeadingIds() throws {
        let t = try Self.tinyBPE()
        let text = Self.longText()
        let whole = t.encode(text, addSpecialTokens: false, maxLength: nil)
        #expect(whole.count > 40_000)
        for count in [1, 100, 1000, 4096, 10_000, whole.count - 10, whole.count + 5] {
            let ids = TextWindows.leadingTokens(of: text, count: count, tokenizer: t)
            #expect(ids == Array(whole.prefix(count)), "first \(count) ids differ")
        }
    }

    @Test func loadsAFileWithoutSpecialTokens() throws {
        let t = try Self.tinyBPE()
        let url = try temporaryCSV(Self.longText(), name: "long.txt")
        let w = try TextWindows.load(spec: TextSpec.parse("text:\(url.path),tokens=1000,context=300"), tokenizer: t)
        let whole = t.encode(Self.longText(), addSpecialTokens: false, maxLength: nil)
        #expect(w.windows.map(\.count) == [300, 300, 300, 100])
        #expect(w.windows.flatMap { $0 } == Array(whole.prefix(1000)))
        #expect(w.tokenCount == 1000 && w.name == "long.txt,tokens=1000,context=300")
    }

    @Test func aShortTextIsUsedWhole() throws {
        let t = try Self.tinyBPE()
        let url = try temporaryCSV("Hello world, hello.", name: "short.txt")
        let ids = t.encode("Hello world, hello.", addSpecialTokens: false, maxLength: nil)
        let w = try TextWindows.load(spec: TextSpec(path: url.path), tokenizer: t)
        #expect(w.windows == [ids] && w.tokenCount == ids.count)
    }

    @Test func fileErrorsNameTheFile() throws {
        let t = try Self.tinyBPE()
        let bad = try temporaryCSV("", name: "bad.txt")
        try Data([0x48, 0x69, 0xFF, 0x0A]).write(to: bad)
        #expect(throws: TokenizerError.invalidUTF8(source: bad.path, byteOffset: 2)) {
            try TextWindows.load(spec: TextSpec(path: bad.path), tokenizer: t)
        }
        let empty = try temporaryCSV("", name: "empty.txt")
        #expect(throws: EvaluationDataError.tooFewTokens(file: empty.path, count: 0)) {
            try TextWindows.load(spec: TextSpec(path: empty.path), tokenizer: t)
        }
        do {
            _ = try TextWindows.load(spec: TextSpec(path: "/no/such/file.txt"), tokenizer: t)
            Issue.record("a missing file loaded")
        } catch let error as EvaluationDataError {
            guard case .unreadable(let file, _) = error else { Issue.record("\(error)"); return }
            #expect(file == "/no/such/file.txt")
        }
    }
}
