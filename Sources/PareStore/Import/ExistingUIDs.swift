import GRDB

extension Store {
    /// Which of these global run ids the database already holds, in one query: an import
    /// skips those runs, so importing the same source again records only what is new.
    public func existingUIDs(_ uids: [String]) throws -> Set<String> {
        if uids.isEmpty { return [] }
        return try read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: SQLText.query("existing_uids")),
                                    arguments: ["uids": CanonicalJSON.array(uids)]))
        }
    }
}
