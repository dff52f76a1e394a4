import Foundation

/// How a generated answer is scored against a label (`task_accuracy`) or the teacher's answer
/// (`teacher_agreement`), on words: lower-cased runs of letters and digits, everything else a
/// separator ("Positive!" and "positive" are the same answer).
///
/// - The answer is the first non-empty line of the generation (for `mode=cot`, of what follows
///   the last "Answer:"), so a model that keeps on writing is judged on what it said first.
/// - Without choices, an answer matches a label when the label's words occur in the answer's
///   words, in order and adjacent ("it is positive" matches "positive").
/// - With choices, the answer picks the choice whose words occur earliest in it (a tie goes to
///   the longer choice); it matches a label when it picks the label's choice, and no choice
///   matches nothing.
/// - Agreement is the same rule with the teacher's answer as the label (with choices: both
///   pick the same choice).
public enum AnswerMatching {
    public static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The first non-empty line of `generation`; with `afterAnswerMarker`, of the text after
    /// the last "Answer:" (case-insensitive) when there is one.
    public static func answer(_ generation: String, afterAnswerMarker: Bool = false) -> String {
        var text = Substring(generation)
        if afterAnswerMarker, let range = generation.range(of: "answer:", options: [.caseInsensitive, .backwards]) {
            text = generation[range.upperBound...]
        }
        return text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// Where `needle` first occurs in `haystack` as adjacent words, or nil.
    static func position(of needle: [String], in haystack: [String]) -> Int? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    /// The choice `answer` names first (ties: the longer), or nil.
    public static func choice(_ answer: String, among choices: [String]) -> Int? {
        let said = words(answer)
        var best: (index: Int, at: Int, length: Int)?
        for (i, choice) in choices.enumerated() {
            let w = words(choice)
            guard let at = position(of: w, in: said) else { continue }
            if best == nil || at < best!.at || (at == best!.at && w.count > best!.length) { best = (i, at, w.count) }
        }
        return best?.index
    }

    /// Whether `answer` matches `label` (with `choices`, by the choice it picks).
    public static func matches(_ answer: String, label: String, choices: [String]?) -> Bool {
        if let choices {
            guard let picked = choice(answer, among: choices) else { return false }
            return words(choices[picked]) == words(label)
        }
        return position(of: words(label), in: words(answer)) != nil
    }

    /// Whether the student's answer agrees with the teacher's.
    public static func agrees(_ student: String, teacher: String, choices: [String]?) -> Bool {
        if let choices {
            guard let theirs = choice(teacher, among: choices), let mine = choice(student, among: choices) else { return false }
            return words(choices[theirs]) == words(choices[mine])
        }
        return matches(student, label: teacher, choices: nil)
    }
}
