import GRDB
import PostgresNIO
import Synchronization

/// Pare's query files name their parameters (`:run_id`), as SQLite takes them; PostgreSQL
/// numbers them (`$1`). This rewrites the names to numbers, each name one number however often
/// it appears, and binds the values in that order. Text in quotes, comments and `::` casts is
/// left alone. Only the store's own query text passes through here; values are always bound.
enum NamedParameters {
    static func query(_ sql: String, _ arguments: [String: DatabaseValue]) -> PostgresQuery {
        query(sql, arguments, bindingMissingAsNull: false).query
    }

    /// The rewritten query, and the parameter names it found (for the tests that compare a
    /// PostgreSQL query's parameters with its SQLite twin's).
    static func query(_ sql: String, _ arguments: [String: DatabaseValue],
                      bindingMissingAsNull: Bool) -> (query: PostgresQuery, sql: String, names: Set<String>) {
        let (out, order) = rewritten(sql)
        var binds = PostgresBindings(capacity: order.count)
        for name in order {
            guard let value = arguments[name] ?? (bindingMissingAsNull ? .null : nil) else {
                preconditionFailure("the query's parameter :\(name) was given no value")
            }
            switch value.storage {
            case .null: binds.appendNull()
            case .int64(let v): binds.append(v)
            case .double(let v): binds.append(v)
            case .string(let v): binds.append(v)
            case .blob(let v): binds.append(ByteBuffer(bytes: v))
            }
        }
        return (query: PostgresQuery(unsafeSQL: out, binds: binds), sql: out, names: Set(order))
    }

    /// Rewritten texts by their original: a store runs the same few queries thousands of times.
    /// Filters make new texts, so the cache is emptied when it grows past a few hundred.
    private static let cache = Mutex<[String: (sql: String, order: [String])]>([:])

    /// The text with `$n` for each name, and the names in their numbers' order.
    static func rewritten(_ sql: String) -> (sql: String, order: [String]) {
        if let hit = cache.withLock({ $0[sql] }) { return hit }
        let result = scan(sql)
        cache.withLock { cache in
            if cache.count >= 512 { cache.removeAll() }
            cache[sql] = result
        }
        return result
    }

    private static func scan(_ sql: String) -> (sql: String, order: [String]) {
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var order: [String] = []
        var number: [String: Int] = [:]
        let chars = Array(sql.unicodeScalars)
        var i = 0
        func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.properties.isAlphabetic && c.isASCII) }
        func isName(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'", "\"":  // a literal or a quoted name, '' and "" escapes included
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c { if j + 1 < chars.count && chars[j + 1] == c { j += 2; continue }; break }
                    j += 1
                }
                out.unicodeScalars.append(contentsOf: chars[i...min(j, chars.count - 1)])
                i = j + 1
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                out.unicodeScalars.append(contentsOf: chars[i..<j])
                i = j
            case "/" where next == "*":
                var j = i + 2
                while j + 1 < chars.count && !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
                let end = min(j + 2, chars.count)
                out.unicodeScalars.append(contentsOf: chars[i..<end])
                i = end
            case ":" where next == ":":
                out += "::"
                i += 2
            case ":" where next.map(isNameStart) == true:
                var j = i + 1
                while j < chars.count && isName(chars[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                if number[name] == nil { order.append(name); number[name] = order.count }
                out += "$\(number[name]!)"
                i = j
            default:
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return (sql: out, order: order)
    }
}
