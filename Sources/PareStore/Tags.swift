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

extension Store {
    /// Sets `set` (replacing a key's value) and removes `remove` on every run of `runs`, in one
    /// transaction. An unknown run id throws `StoreError.unknownRun` and changes nothing.
    public func tag(runs: [Int64], set: [String: String], remove: [String] = []) throws {
        for key in set.keys { try TagError.check(key) }
        for (key, value) in set where value.isEmpty { throw TagError.emptyValue(key: key) }
        var removing = Set<String>()
        for key in remove {
            try TagError.check(key)
            if set[key] != nil || !removing.insert(key).inserted { throw TagError.duplicateKey(key) }
        }
        if set.isEmpty && remove.isEmpty { throw TagError.nothingToChange }
        try write { db in
            for id in runs { try Self.requireRun(db, id) }
            let put = try db.cachedStatement(sql: SQLText.query("record_tag"))
            let drop = try db.cachedStatement(sql: SQLText.query("remove_tag"))
            for id in Set(runs).sorted() {
                for (key, value) in set.sorted(by: { $0.key < $1.key }) {
                    try put.execute(arguments: ["run_id": id, "key": key, "value": value])
                }
                for key in remove.sorted() { try drop.execute(arguments: ["run_id": id, "key": key]) }
            }
        }
    }

    /// Appends `text` to the run's notes; returns how many notes it has now.
    @discardableResult
    public func note(run id: Int64, _ text: String) throws -> Int {
        guard !text.allSatisfy(\.isWhitespace) else { throw TagError.emptyNote }
        return try write { db in
            try Self.requireRun(db, id)
            try RunWriter.execute(db, "append_note", ["run_id": id, "note": text])
            return try Int.fetchOne(db.cachedStatement(sql: SQLText.query("run_note_count")), arguments: ["run_id": id]) ?? 0
        }
    }

    /// The ids of the runs `filter` selects, ascending (the `--where` of `tag` and `rm`).
    public func runIDs(matching filter: String) throws -> [Int64] {
        let compiled = try CompiledFilter.compile(filter)
        return try read { db in
            try Int64.fetchAll(db, sql: SQLText.query("matching_run_ids", filter: compiled),
                               arguments: CompiledFilter.arguments(compiled, [:], db: db))
        }
    }

    /// A run's tags by key.
    public func tags(run id: Int64) throws -> [String: String] {
        try read { db in
            try Self.requireRun(db, id)
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query("show_tags")), arguments: ["run_id": id]) {
                out[row["key"]] = row["value"]
            }
            return out
        }
    }

    /// Throws `StoreError.unknownRun` (naming the ids present) when there is no run `id`.
    static func requireRun(_ db: Database, _ id: Int64) throws {
        if try String.fetchOne(db.cachedStatement(sql: SQLText.query("run_status")), arguments: ["id": id]) == nil {
            throw try unknownRun(db, id)
        }
    }
}
