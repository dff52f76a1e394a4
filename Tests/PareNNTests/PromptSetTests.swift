import Foundation
import Testing
@testable import PareNN

/// `prompts:FILE` data: JSON lines with `prompt`, optional `label` and `choices`; every bad
/// line is one sentence naming the file and the line.
@Suite struct PromptSetTests {
    @Test func linesAreReadWithTheirOptionalFields() throws {
        let text = """
        {"prompt": "Review: great. Sentiment:", "label": "positive", "choices": ["positive", "negative"]}

        {"prompt": "2+2=", "label": "4"}
        {"prompt": "Say hi", "label": null}
        """
        let set = try PromptSet.parse(text, path: "p.jsonl")
        #expect(set.items == [
            PromptItem(prompt: "Review: great. Sentiment:", label: "positive", choices: ["positive", "negative"]),
            PromptItem(prompt: "2+2=", label: "4"),
            PromptItem(prompt: "Say hi"),
        ])
        #expect(set.contentHash != (try PromptSet.parse(#"{"prompt": "2+2="}"#, path: "p.jsonl")).contentHash)
        #expect(set.contentHash == (try PromptSet.parse(text + "\n", path: "other.jsonl")).contentHash)
    }

    @Test func rowsKeepsTheFirstPrompts() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "pare-prompts-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n".utf8).write(to: url)
        let set = try PromptSet.load(spec: "prompts:\(url.path),rows=2")
        #expect(set.items.map(\.prompt) == ["a", "b"])
        #expect(set.name.hasSuffix(",rows=2"))
    }

    @Test(arguments: [
        ("[1, 2]", "line 2 is not a JSON object"),
        ("not json", "line 2 is not a JSON object"),
        (#"{"label": "x"}"#, "line 2 has no \"prompt\""),
        (#"{"prompt": 3}"#, "line 2 has a \"prompt\" that is not a string"),
        (#"{"prompt": "a", "label": 1}"#, "line 2 has a \"label\" that is not a string"),
        (#"{"prompt": "a", "choices": "yes"}"#, "line 2 has \"choices\" that are not"),
        (#"{"prompt": "a", "choices": ["a", 2]}"#, "line 2 has \"choices\" that are not"),
    ])
    func aBadLineIsOneSentenceNamingFileAndLine(_ line: String, _ expected: String) throws {
        do {
            _ = try PromptSet.parse("{\"prompt\": \"fine\"}\n" + line + "\n", path: "bad.jsonl")
            Issue.record("\(line) was accepted")
        } catch let error as EvaluationDataError {
            let message = error.description
            #expect(message.contains("'bad.jsonl'") && message.contains(expected), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func aFileWithoutPromptsIsRefused() {
        #expect(throws: EvaluationDataError.noPrompts(file: "e.jsonl")) { try PromptSet.parse("\n\n", path: "e.jsonl") }
    }
}
