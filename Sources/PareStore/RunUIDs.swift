import GRDB

extension Store {
    /// Which of `uids` are recorded already (`queries/run_by_uid.sql`, on the unique index of
    /// `runs.uid`): an import or a re-logged file skips those runs instead of failing on them.
    public func existingUIDs(_ uids: [String]) throws -> Set<String> {
        guard !uids.isEmpty else { return [] }
        return try read { db in
            let statement = try db.cachedStatement(sql: SQLText.query("run_by_uid"))
            var found = Set<String>()
            for uid in uids where try Int64.fetchOne(statement, arguments: ["uid": uid]) != nil { found.insert(uid) }
            return found
        }
    }
}
