/// The SQL of `migrations/` and `queries/` and the demo data of `data/`, built into the binary.
/// These files in the repository are the only copy; the EmbedSQL plugin embeds them at build time.
public enum EmbeddedSQL {
    /// The migrations, in the order they apply: (name without ".sql", SQL text).
    public static var migrations: [(name: String, sql: String)] { files(in: "migrations/") }

    /// The same migrations in PostgreSQL's dialect (`migrations/postgresql/*.pgsql`), one per SQLite file.
    public static var postgresMigrations: [(name: String, sql: String)] { files(in: "migrations/postgresql/", ext: ".pgsql") }

    /// The text of `queries/NAME.sql`.
    public static func query(_ name: String) -> String {
        guard let sql = embeddedFiles["queries/\(name).sql"] else {
            fatalError("queries/\(name).sql is not in the build: add the file and rebuild")
        }
        return sql
    }

    /// The text of `queries/postgresql/NAME.pgsql`, or of `queries/NAME.sql` when that standard SQL
    /// runs unchanged on both (only the queries whose dialects differ have a PostgreSQL file).
    public static func postgresQuery(_ name: String) -> String {
        embeddedFiles["queries/postgresql/\(name).pgsql"] ?? query(name)
    }

    /// The names of every embedded SQLite query.
    public static var queryNames: [String] { files(in: "queries/").map(\.name) }

    /// The names of the queries written apart for PostgreSQL.
    public static var postgresQueryNames: [String] { files(in: "queries/postgresql/", ext: ".pgsql").map(\.name) }

    /// The files directly in `folder` (not in a dialect's folder below it) ending in `ext`, by name.
    private static func files(in folder: String, ext: String = ".sql") -> [(name: String, sql: String)] {
        embeddedFiles.filter { $0.key.hasPrefix(folder) && $0.key.hasSuffix(ext) && !$0.key.dropFirst(folder.count).contains("/") }
            .map { (name: String($0.key.dropFirst(folder.count).dropLast(ext.count)), sql: $0.value) }
            .sorted { $0.name < $1.name }
    }

    /// A bundled data file, `data/NAME`.
    public static func dataFile(_ name: String) -> String? { embeddedFiles["data/\(name)"] }
}
