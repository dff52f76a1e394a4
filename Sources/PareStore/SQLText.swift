import Foundation
import PareSQL

/// The SQL of `queries/NAME.sql` (embedded at build time), with the store's two splice points
/// filled in. Only text the store generates is ever spliced; user values are bound parameters.
///
/// - `/* where */` marks where a compiled filter goes. The query writes it in front of a
///   default condition (`AND /* where */ 1`), so the file runs as it is; with a filter the
///   marker becomes `(fragment) AND `.
/// - `/* order */ DESC` marks a sort direction; it becomes `ASC` for an ascending ranking.
public enum SQLText {
    static let whereMarker = "/* where */"
    static let orderMarker = "/* order */ DESC"

    static func query(_ name: String) -> String { EmbeddedSQL.query(name) }

    /// The query with the filter fragment (ours, never user text) and sort direction spliced in.
    static func query(_ name: String, filter: CompiledFilter?, ascending: Bool? = nil) -> String {
        spliced(EmbeddedSQL.query(name), name: name, filter: filter, ascending: ascending)
    }

    /// `spliced` for a store in another dialect (its text from `queries/postgresql/`).
    public static func postgresQuery(_ name: String, filter: CompiledFilter?, ascending: Bool? = nil) -> String {
        spliced(EmbeddedSQL.postgresQuery(name), name: name, filter: filter, ascending: ascending)
    }

    private static func spliced(_ text: String, name: String, filter: CompiledFilter?, ascending: Bool?) -> String {
        var sql = text
        if let filter {
            precondition(sql.contains(whereMarker), "queries/\(name).sql has no \(whereMarker) marker")
            sql = sql.replacingOccurrences(of: whereMarker, with: "(\(filter.sql)) AND ")
        }
        if let ascending {
            precondition(sql.contains(orderMarker), "queries/\(name).sql has no \(orderMarker) marker")
            sql = sql.replacingOccurrences(of: orderMarker, with: ascending ? "ASC" : "DESC")
        }
        return sql
    }
}
