import Foundation
import GRDB

/// A label or note that cannot be written as asked.
public enum TagError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tag key that is empty or holds whitespace or '='.
    case badKey(String)
    /// `k=` with nothing after the '='.
    case emptyValue(key: String)
    /// The same key set twice, or set and removed, in one call.
    case duplicateKey(String)
    /// Neither a tag to set nor one to remove.
    case nothingToChange
    /// `pare note RUN ""`.
    case emptyNote

    public var description: String {
        switch self {
        case let .badKey(key):
            key.isEmpty ? "a tag key is empty; write key=value"
                : "tag key '\(key)' holds whitespace or '='; use letters, digits, '_', '-', '.' or ':'"
        case let .emptyValue(key):
            "tag '\(key)' has no value; write \(key)=VALUE, or --remove \(key) to remove it"
        case let .duplicateKey(key):
            "tag '\(key)' is given twice; give each key once"
        case .nothingToChange:
            "no tag to set or remove; write key=value or --remove key"
        case .emptyNote:
            "the note is empty; write its text in quotes, e.g. pare note 4 \"re-run with more calibration data\""
        }
    }

    /// Whether `key` can be a tag key: non-empty, without whitespace, control characters or '='
    /// (so `k=v` on a command line always splits at the first '=').
    static func check(_ key: String) throws {
        if key.isEmpty || key.contains("=") || key.unicodeScalars.contains(where: {
            CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0)
        }) {
            throw TagError.badKey(key)
        }
    }
}

/// `tag`, `note` and `rm` over either store: checked through its rows, changed through its
/// writer, inside the caller's transaction.
public enum RunEdits {
    /// Sets `set` (replacing a key's value) and removes `remove` on every run of `runs`. An
    /// unknown run id throws `StoreError.unknownRun` before anything changes.
    public static func tag(_ source: some RowSource, _ writer: some RecordWriting, runs: [Int64],
                           set: [String: String], remove: [String]) throws {
        try checkTags(set: set, remove: remove)
        for id in runs { try source.requireRun(id) }
        for id in Set(runs).sorted() {
            for (key, value) in set.sorted(by: { $0.key < $1.key }) {
                try writer.execute("record_tag", ["run_id": id.databaseValue, "key": key.databaseValue, "value": value.databaseValue])
            }
            for key in remove.sorted() { try writer.execute("remove_tag", ["run_id": id.databaseValue, "key": key.databaseValue]) }
        }
    }

    /// The checks of `tag`, before any store is touched.
    public static func checkTags(set: [String: String], remove: [String]) throws {
        for key in set.keys { try TagError.check(key) }
        for (key, value) in set where value.isEmpty { throw TagError.emptyValue(key: key) }
        var removing = Set<String>()
        for key in remove {
            try TagError.check(key)
            if set[key] != nil || !removing.insert(key).inserted { throw TagError.duplicateKey(key) }
        }
        if set.isEmpty && remove.isEmpty { throw TagError.nothingToChange }
    }

    /// Appends `text` to the run's notes; returns how many notes it has now.
    public static func note(_ source: some RowSource, _ writer: some RecordWriting, run id: Int64, _ text: String) throws -> Int {
        guard !text.allSatisfy(\.isWhitespace) else { throw TagError.emptyNote }
        try source.requireRun(id)
        try writer.execute("append_note", ["run_id": id.databaseValue, "note": text.databaseValue])
        return Int(try writer.integer("run_note_count", ["run_id": id.databaseValue]) ?? 0)
    }
}

extension Store {
    /// `RunEdits.tag` in one transaction.
    public func tag(runs: [Int64], set: [String: String], remove: [String] = []) throws {
        try RunEdits.checkTags(set: set, remove: remove)
        try write { db in try RunEdits.tag(SQLiteRows(db: db), SQLiteRecordWriter(db: db), runs: runs, set: set, remove: remove) }
    }

    /// `RunEdits.note` in one transaction.
    @discardableResult
    public func note(run id: Int64, _ text: String) throws -> Int {
        guard !text.allSatisfy(\.isWhitespace) else { throw TagError.emptyNote }
        return try write { db in try RunEdits.note(SQLiteRows(db: db), SQLiteRecordWriter(db: db), run: id, text) }
    }

    /// The ids of the runs `filter` selects, ascending (the `--where` of `tag` and `rm`).
    public func runIDs(matching filter: String) throws -> [Int64] {
        let compiled = try CompiledFilter.compile(filter)
        return try read { db in try SQLiteRows(db: db).runIDs(matching: compiled) }
    }

    /// A run's tags by key.
    public func tags(run id: Int64) throws -> [String: String] {
        try read { db in
            let rows = SQLiteRows(db: db)
            try rows.requireRun(id)
            var out: [String: String] = [:]
            for row in try rows.table("show_tags", ["run_id": id.databaseValue]).rows {
                if case .text(let key) = row[0], case .text(let value) = row[1] { out[key] = value }
            }
            return out
        }
    }

    /// Throws `StoreError.unknownRun` (naming the ids present) when there is no run `id`.
    static func requireRun(_ db: Database, _ id: Int64) throws { try SQLiteRows(db: db).requireRun(id) }
}
