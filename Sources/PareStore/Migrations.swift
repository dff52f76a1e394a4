import GRDB
import PareSQL

/// `migrations/*.sql`, one registered migration per file, named by the file, in file order.
/// Append-only: a released file is never edited.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (name, sql) in EmbeddedSQL.migrations {
            migrator.registerMigration(name) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    static var names: [String] { EmbeddedSQL.migrations.map(\.name) }

    /// Applies every migration `db` lacks in ONE immediate transaction, recorded in GRDB's own
    /// `grdb_migrations` table as its migrator does, so a process killed while migrating leaves
    /// the schema as it was rather than half upgraded (GRDB's migrator commits each migration on
    /// its own, and a reader then finds a schema no Pare wrote). The immediate transaction takes
    /// the write lock before reading what is applied, so of several processes opening a fresh
    /// file one migrates and the others find nothing left to do. (Every migration is plain DDL
    /// and data: none needs foreign keys off or a statement outside a transaction.)
    static func applyMissing(_ writer: some DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
                for (name, sql) in EmbeddedSQL.migrations where !applied.contains(name) {
                    try db.execute(sql: sql)
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [name])
                }
                return .commit
            }
        }
    }
}
