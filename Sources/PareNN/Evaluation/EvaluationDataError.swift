/// Why a text or sentence data spec, or the file it names, cannot be evaluated on: one sentence
/// naming the spec or file (and line, 1-based with the header as line 1) and how to fix it.
/// (Bytes that are not UTF-8 are the tokenizer module's `TokenizerError.invalidUTF8`.)
public enum EvaluationDataError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSpec(spec: String, problem: String, usage: String)
    case unreadable(file: String, reason: String)
    case contextTooLong(context: Int, maximum: Int)
    case tooFewTokens(file: String, count: Int)
    case calibrationTooShort(file: String, tokens: Int, samples: Int, context: Int)
    case emptyFile(file: String)
    case noTextColumn(file: String, header: [String])
    case duplicateColumn(file: String, column: String)
    case wrongFieldCount(file: String, line: Int, expected: Int, found: Int)
    case unterminatedQuote(file: String, line: Int)
    case emptyLabel(file: String, line: Int)
    case noRows(file: String)
    case badPromptLine(file: String, line: Int, problem: String)
    case noPrompts(file: String)

    public var description: String {
        switch self {
        case let .badSpec(spec, problem, usage):
            "Data spec '\(spec)' \(problem); write it as \(usage)."
        case let .unreadable(file, reason):
            "Data file '\(file)' could not be read: \(reason)."
        case let .contextTooLong(context, maximum):
            "context=\(context) is longer than the model's \(maximum) positions; choose context=\(maximum) or less."
        case let .tooFewTokens(file, count):
            "Text file '\(file)' gives only \(count) token\(count == 1 ? "" : "s"), but a window needs at least 2 to predict one; use a longer text."
        case let .calibrationTooShort(file, tokens, samples, context):
            "Calibration text '\(file)' gives only \(tokens) token\(tokens == 1 ? "" : "s"), but samples=\(samples) windows of context=\(context) need \(samples * context); use a longer text or lower samples or context."
        case let .emptyFile(file):
            "Sentence file '\(file)' is empty; expected a header line naming a 'text' column (and optionally 'label')."
        case let .noTextColumn(file, header):
            "Sentence file '\(file)' has no 'text' column in its header (line 1 has \(header.map { "'\($0)'" }.joined(separator: ", "))); name the sentence column exactly 'text'."
        case let .duplicateColumn(file, column):
            "Sentence file '\(file)' names the column '\(column)' more than once in its header (line 1)."
        case let .wrongFieldCount(file, line, expected, found):
            "Sentence file '\(file)' line \(line) has \(found) field\(found == 1 ? "" : "s"), but the header has \(expected); quote fields that contain the separator."
        case let .unterminatedQuote(file, line):
            "Sentence file '\(file)' has a quoted field starting on line \(line) that is never closed; end it with a double quote (write a literal quote as \"\")."
        case let .emptyLabel(file, line):
            "Sentence file '\(file)' line \(line) has an empty 'label'; give every row a label or drop the 'label' column."
        case let .noRows(file):
            "Sentence file '\(file)' has a header but no rows."
        case let .badPromptLine(file, line, problem):
            "Prompts file '\(file)' line \(line) \(problem); each line must be a JSON object {\"prompt\": \"…\"} with an optional string \"label\" and an optional array of strings \"choices\"."
        case let .noPrompts(file):
            "Prompts file '\(file)' has no prompts; give one JSON object per line, e.g. {\"prompt\": \"…\", \"label\": \"…\"}."
        }
    }
}
