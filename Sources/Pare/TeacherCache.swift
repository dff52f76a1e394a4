import Foundation
import PareCompress
import PareStore

/// A black-box teacher's answer cache kept in the database (`teacher_answers`), scoped to one
/// teacher command: what `CompressionContext.teacherCache` hands a distillation, so the method
/// knows nothing of SQLite. Batches are one query / one transaction. A cache that cannot be
/// read or written only costs queries: errors are swallowed (the run itself still records).
public final class StoreTeacherCache: TeacherAnswerCache, @unchecked Sendable {
    let store: any RunTracker
    public let teacher: String

    public init(store: any RunTracker, teacher: String) {
        self.store = store
        self.teacher = teacher
    }

    public func get(_ key: String) -> TeacherAnswer? { get([key])[0] }

    public func put(_ key: String, _ answer: TeacherAnswer) { put([(key: key, answer: answer)]) }

    public func get(_ keys: [String]) -> [TeacherAnswer?] {
        let found = (try? store.teacherAnswers(teacher: teacher, inputHashes: keys)) ?? [:]
        return keys.map { found[$0].flatMap(Self.decode) }
    }

    public func put(_ entries: [(key: String, answer: TeacherAnswer)]) {
        try? store.saveTeacherAnswers(teacher: teacher, entries.map { (inputHash: $0.key, answer: $0.answer.json) })
    }

    /// `TeacherAnswer.json` read back: {"logits": […]}, {"probs": […]}, {"label": k} or {"text": "…"}.
    static func decode(_ json: String) -> TeacherAnswer? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        if let values = object["logits"] as? [NSNumber] { return .logits(values.map { $0.floatValue }) }
        if let values = object["probs"] as? [NSNumber] { return .probabilities(values.map { $0.floatValue }) }
        if let label = object["label"] as? NSNumber { return .label(label.intValue) }
        if let text = object["text"] as? String { return .text(text) }
        return nil
    }
}
