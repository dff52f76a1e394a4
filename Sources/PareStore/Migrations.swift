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
}
