import Foundation
import GRDB

/// The black-box teacher answer cache (`teacher_answers`, migrations/0003): answers kept per
/// teacher command and input hash, so a rerun does not ask the teacher again. The store keeps
/// the answers as opaque JSON text; what they mean is the caller's business.
extension Store {
    /// The cached answers of `teacher` for `inputHashes`, by hash (absent hashes are missing).
    public func teacherAnswers(teacher: String, inputHashes: [String]) throws -> [String: String] {
        guard !inputHashes.isEmpty else { return [:] }
        return try read { db in
            var out: [String: String] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("teacher_answers")), arguments: [
                "teacher": teacher, "input_hashes": CanonicalJSON.array(inputHashes),
            ])
            while let row = try rows.next() { out[row["input_hash"]] = row["answer"] }
            return out
        }
    }

    /// Caches answers of `teacher` (input hash → JSON answer) in one transaction; an input
    /// already cached keeps its first answer.
    public func saveTeacherAnswers(teacher: String, _ answers: [(inputHash: String, answer: String)]) throws {
        guard !answers.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(sql: SQLText.query("record_teacher_answer"))
            for entry in answers {
                try statement.execute(arguments: ["teacher": teacher, "input_hash": entry.inputHash, "answer": entry.answer])
            }
        }
    }
}
