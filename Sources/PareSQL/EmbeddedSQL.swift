/// The SQL of `migrations/` and `queries/` and the demo data of `data/`, built into the binary.
/// These files in the repository are the only copy; the EmbedSQL plugin embeds them at build time.
public enum EmbeddedSQL {
    /// The migrations, in the order they apply: (name without ".sql", SQL text).
    public static var migrations: [(name: String, sql: String)] {
        embeddedFiles.filter { $0.key.hasPrefix("migrations/") }
            .map { (name: String($0.key.dropFirst("migrations/".count).dropLast(4)), sql: $0.value) }
            .sorted { $0.name < $1.name }
    }

    /// The text of `queries/NAME.sql`.
    public static func query(_ name: String) -> String {
        guard let sql = embeddedFiles["queries/\(name).sql"] else {
            fatalError("queries/\(name).sql is not in the build: add the file and rebuild")
        }
        return sql
    }

    /// The names of every embedded query.
    public static var queryNames: [String] {
        embeddedFiles.keys.filter { $0.hasPrefix("queries/") }.map { String($0.dropFirst(8).dropLast(4)) }.sorted()
    }

    /// A bundled data file, `data/NAME`.
    public static func dataFile(_ name: String) -> String? { embeddedFiles["data/\(name)"] }
}
