import Foundation
import PareTensor

/// One line of a `prompts:` file: the prompt, and optionally its true answer (`label`) and the
/// answers it chooses among (`choices`).
public struct PromptItem: Sendable, Equatable {
    public var prompt: String
    public var label: String?
    public var choices: [String]?

    public init(prompt: String, label: String? = nil, choices: [String]? = nil) {
        self.prompt = prompt
        self.label = label
        self.choices = choices
    }
}

/// The data spec `prompts:FILE[,rows=N]` (DESIGN.md's generation tasks): FILE is JSON lines,
/// one object per line, `{"prompt": "…", "label": "…", "choices": ["…", …]}` with `label` and
/// `choices` optional; blank lines are skipped; N keeps the first N prompts.
public struct PromptSet: Sendable, Equatable {
    public var path: String
    public var name: String
    public var items: [PromptItem]
    /// SHA-256 (hex) of the items: for each, its prompt, label and choices as counted UTF-8
    /// strings (Int64 LE byte count, then the bytes; a missing field as count −1).
    public var contentHash: String

    static let usage = "prompts:FILE[,rows=N] (JSON lines: {\"prompt\": \"…\", \"label\": \"…\", \"choices\": [\"…\"]}, label and choices optional)"

    public static func isSpec(_ spec: String) -> Bool { spec.hasPrefix("prompts:") }

    public init(path: String, name: String? = nil, items: [PromptItem]) {
        self.path = path
        self.name = name ?? URL(fileURLWithPath: path).lastPathComponent
        self.items = items
        func counted(_ s: String?) -> [UInt8] {
            guard let s else { return Bytes.of([Int64(-1)]) }
            return Bytes.of([Int64(s.utf8.count)]) + Array(s.utf8)
        }
        var bytes = Bytes.of([Int64(items.count)])
        for item in items {
            bytes += counted(item.prompt) + counted(item.label)
            bytes += Bytes.of([Int64(item.choices?.count ?? -1)])
            for choice in item.choices ?? [] { bytes += counted(choice) }
        }
        contentHash = SHA256.hex(bytes)
    }

    /// Loads `prompts:FILE[,rows=N]`; a bad spec, file or line is an `EvaluationDataError`.
    public static func load(spec: String) throws -> PromptSet {
        let parts = try DataSpec.parse(spec, kind: "prompts", keys: ["rows"], usage: usage)
        let bytes = try readDataFile(parts.path)
        var set = try parse(String(decoding: bytes, as: UTF8.self), path: parts.path)
        if let rows = parts.options["rows"] {
            set = PromptSet(path: parts.path, name: set.name + ",rows=\(rows)", items: Array(set.items.prefix(rows)))
        }
        return set
    }

    /// The prompts of JSON-lines `text` read from `path` (named in errors, with 1-based lines).
    public static func parse(_ text: String, path: String) throws -> PromptSet {
        var items: [PromptItem] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy(\.isWhitespace) { continue }
            items.append(try item(String(line), file: path, line: index + 1))
        }
        guard !items.isEmpty else { throw EvaluationDataError.noPrompts(file: path) }
        return PromptSet(path: path, items: items)
    }

    static func item(_ line: String, file: String, line n: Int) throws -> PromptItem {
        func bad(_ problem: String) -> EvaluationDataError { .badPromptLine(file: file, line: n, problem: problem) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw bad("is not a JSON object")
        }
        guard let value = object["prompt"] else { throw bad("has no \"prompt\"") }
        guard let prompt = value as? String else { throw bad("has a \"prompt\" that is not a string") }
        var label: String?
        if let value = object["label"], !(value is NSNull) {
            guard let text = value as? String else { throw bad("has a \"label\" that is not a string") }
            label = text
        }
        var choices: [String]?
        if let value = object["choices"], !(value is NSNull) {
            guard let list = value as? [Any], list.allSatisfy({ $0 is String }), !list.isEmpty else {
                throw bad("has \"choices\" that are not a non-empty array of strings")
            }
            choices = list.map { $0 as! String }
        }
        return PromptItem(prompt: prompt, label: label, choices: choices)
    }
}
