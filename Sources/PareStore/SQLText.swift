import Foundation
import PareSQL

/// The SQL of `queries/NAME.sql` (embedded at build time), with the store's two splice points
/// filled in. Only text the store generates is ever spliced; user values are bound parameters.
///
/// - `/* where */` marks where a compiled filter goes. The query writes it in front of a
///   default condition (`AND /* where */ 1`), so the file runs as it is; with a filter the
///   marker becomes `(fragment) AND `.
/// - `/* order */ DESC` marks a sort direction; it becomes `ASC` for an ascending ranking.
enum SQLText {
    static let whereMarker = "/* where */"
    static let orderMarker = "/* order */ DESC"

    static func query(_ name: String) -> String { EmbeddedSQL.query(name) }

    /// The query with the filter fragment (ours, never user text) and sort direction spliced in.
    static func query(_ name: String, filter: CompiledFilter?, ascending: Bool? = nil) -> String {
        var sql = EmbeddedSQL.query(name)
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
