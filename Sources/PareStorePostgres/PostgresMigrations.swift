import Foundation
import GRDB
import PareSQL
import PareStore

/// `migrations/postgresql/*.pgsql`, applied as the SQLite store applies its own: every missing
/// one in ONE transaction, named in `pare_migrations`. A transaction-scoped advisory lock makes
/// the writers that open a fresh database at once take turns: one migrates, the others find
/// nothing left to do. PostgreSQL's DDL is transactional, so a process killed while migrating
/// leaves the schema as it was.
enum PostgresMigrations {
    static var names: [String] { EmbeddedSQL.postgresMigrations.map(\.name) }

    /// Any key: every Pare process uses the same one for the same database.
    static let lockKey = 0x5041_5245   // "PARE"

    static func applyMissing(_ session: PostgresSession) throws {
        // Nearly always every migration is applied: one read says so, without the lock and the
        // catalog query below (they were half of a short command's time, `pare log` included).
        if let applied = try? session.table("SELECT identifier FROM pare_migrations").rows,
           Set(applied.compactMap { row -> String? in if case .text(let t) = row[0] { t } else { nil } }) == Set(names) {
            return
        }
        try session.transaction {
            try session.table("SELECT pg_advisory_xact_lock(:key)", ["key": Int64(lockKey).databaseValue])
            let tables = try session.table("""
                SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()
                """).rows.compactMap { row -> String? in if case .text(let t) = row[0] { t } else { nil } }
            if !tables.isEmpty && !tables.contains("pare_migrations") {
                throw PostgresStoreError.notPare(database: session.location.database)
            }
            try session.table("CREATE TABLE IF NOT EXISTS pare_migrations (identifier TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            let applied = Set(try session.table("SELECT identifier FROM pare_migrations").rows.compactMap { row -> String? in
                if case .text(let t) = row[0] { t } else { nil }
            })
            let unknown = applied.subtracting(names)
            if !unknown.isEmpty {
                throw PostgresStoreError.newerSchema(database: session.location.database, unknownMigrations: unknown.sorted())
            }
            for (name, sql) in EmbeddedSQL.postgresMigrations where !applied.contains(name) {
                for statement in statements(sql) { try session.table(statement) }
                try session.table("""
                    INSERT INTO pare_migrations (identifier, applied_at)
                    VALUES (:name, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                    """, ["name": name.databaseValue])
            }
        }
    }

    /// A migration file's statements: comment lines dropped, split where a line ends in ';'
    /// (the convention of migrations/postgresql; a prepared statement holds one statement).
    static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current += line + "\n"
            if trimmed.hasSuffix(";") {
                out.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append(current) }
        return out
    }
}
