import Foundation
import Testing
@testable import PareNN

@Suite struct SentenceSetTests {
    static func parse(_ text: String, rows: Int? = nil) throws -> SentenceSet {
        try SentenceSet.parse(text, spec: SentenceSpec(path: "s.csv", rows: rows))
    }

    @Test func specParses() throws {
        #expect(try SentenceSpec.parse("sentences:vader/train.tsv") == SentenceSpec(path: "vader/train.tsv"))
        #expect(try SentenceSpec.parse("sentences:vader/test.tsv,rows=300") == SentenceSpec(path: "vader/test.tsv", rows: 300))
        #expect(try SentenceSpec.parse("sentences:a/test.tsv,rows=300").name == "test.tsv,rows=300")
        #expect(throws: EvaluationDataError.self) { try SentenceSpec.parse("sentences:a.tsv,tokens=3") }
        #expect(throws: EvaluationDataError.self) { try SentenceSpec.parse("sentences:a.tsv,rows=x") }
    }

    @Test func csvQuotingFollowsRFC4180() throws {
        let s = try Self.parse("id,text,label\r\n1,plain,1\r\n2,\"with, comma\",0\n3,\"say \"\"hi\"\"\",1\n4,\"two\nlines\",0\n\n5,it\"s,1\n6,\"\",0\n")
        #expect(s.texts == ["plain", "with, comma", "say \"hi\"", "two\nlines", "it\"s", ""])
        #expect(s.labels == [1, 0, 1, 0, 1, 0] && s.classNames == nil && s.classCount == 2)
    }

    @Test func tsvIsChosenByATabInTheHeaderAndHasNoQuoting() throws {
        let s = try Self.parse("\u{FEFF}text\tlabel\n\"quoted\" words, with commas\t1\nplain\t0\n")
        #expect(s.texts == ["\"quoted\" words, with commas", "plain"])
        #expect(s.labels == [1, 0])
    }

    @Test func stringLabelsBecomeSortedClassIDs() throws {
        let s = try Self.parse("label,text\npos,a\nneg,b\nneutral,c\npos,d\n")
        #expect(s.classNames == ["neg", "neutral", "pos"])
        #expect(s.labels == [2, 0, 1, 2] && s.classCount == 3)
        // A label that is not a non-negative integer makes them all strings.
        let mixed = try Self.parse("text,label\na,1\nb,-1\n")
        #expect(mixed.classNames == ["-1", "1"] && mixed.labels == [1, 0])
    }

    @Test func textOnlyAndFirstRows() throws {
        let s = try Self.parse("text\none\ntwo\nthree\n", rows: 2)
        #expect(s.texts == ["one", "two"] && s.labels == nil && s.classCount == nil)
        #expect(s.name == "s.csv,rows=2")
    }

    @Test func hashDependsOnContentOnly() throws {
        let a = try SentenceSet.parse("text,label\na,1\nb,0\n", spec: SentenceSpec(path: "x.csv"))
        let b = try SentenceSet.parse("text\tlabel\na\t1\nb\t0\n", spec: SentenceSpec(path: "y.tsv"))
        let c = try SentenceSet.parse("text,label\na,1\nb,1\n", spec: SentenceSpec(path: "x.csv"))
        let d = try SentenceSet.parse("text\na\nb\n", spec: SentenceSpec(path: "x.csv"))
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash != c.contentHash && a.contentHash != d.contentHash)
    }

    @Test func errorsNameTheLine() throws {
        #expect(throws: EvaluationDataError.emptyFile(file: "s.csv")) { try Self.parse("\n\n") }
        #expect(throws: EvaluationDataError.noTextColumn(file: "s.csv", header: ["sentence", "label"])) { try Self.parse("sentence,label\na,1\n") }
        #expect(throws: EvaluationDataError.duplicateColumn(file: "s.csv", column: "text")) { try Self.parse("text,text\na,b\n") }
        #expect(throws: EvaluationDataError.wrongFieldCount(file: "s.csv", line: 4, expected: 2, found: 3)) {
            try Self.parse("text,label\n\"a\nb\",1\nc,1,2\n")
        }
        #expect(throws: EvaluationDataError.unterminatedQuote(file: "s.csv", line: 3)) { try Self.parse("text,label\na,1\n\"b,1\n") }
        #expect(throws: EvaluationDataError.emptyLabel(file: "s.csv", line: 3)) { try Self.parse("text,label\na,1\nb, \n") }
        #expect(throws: EvaluationDataError.noRows(file: "s.csv")) { try Self.parse("text,label\n") }
        let description = EvaluationDataError.wrongFieldCount(file: "s.csv", line: 4, expected: 2, found: 3).description
        #expect(description.contains("line 4"))
    }

    @Test func loadsAFileAndRefusesInvalidUTF8() throws {
        let url = try temporaryCSV("text\tlabel\nfine\t1\n", name: "ok.tsv")
        let s = try SentenceSet.load(spec: SentenceSpec.parse("sentences:\(url.path)"))
        #expect(s.texts == ["fine"] && s.name == "ok.tsv")
        let bad = try temporaryCSV("", name: "bad.tsv")
        try Data([0x74, 0x65, 0x78, 0x74, 0x0A, 0xC3, 0x28, 0x0A]).write(to: bad)
        #expect(throws: TokenizerError.invalidUTF8(source: bad.path, byteOffset: 5)) { try SentenceSet.load(spec: SentenceSpec(path: bad.path)) }
    }
}
