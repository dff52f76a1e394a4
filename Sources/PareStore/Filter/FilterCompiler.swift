import GRDB

/// A filter compiled to an SQL boolean expression over the row `runs`, with every key and
/// value a bound parameter (`:filter_N`). The SQL text is built only from the store's own
/// fixed fragments; nothing the user typed reaches it.
public struct CompiledFilter: Sendable {
    public let sql: String
    public let arguments: [String: DatabaseValue]

    /// Parses and compiles `text`; nil for no filter (nil, empty or blank).
    public static func compile(_ text: String?) throws -> CompiledFilter? {
        guard let text, !text.allSatisfy(\.isWhitespace) else { return nil }
        return FilterCompiler.compile(try FilterParser.parse(text))
    }

    /// The statement arguments of a query that has this filter spliced in.
    static func arguments(_ filter: CompiledFilter?, _ base: [String: (any DatabaseValueConvertible)?]) -> StatementArguments {
        var all = base.mapValues { $0?.databaseValue ?? .null }
        for (k, v) in filter?.arguments ?? [:] { all[k] = v }
        return StatementArguments(all)
    }
}

/// AST → SQL. A condition on a metric or param is an EXISTS over that run's row, so it is
/// true only when the run has the key and the comparison holds (`not` negates that).
/// Metrics compare their step-0 value. Params compare typed: numeric params against the
/// literal's numeric reading, text params against its text.
public enum FilterCompiler {
    public static func compile(_ expr: FilterExpr) -> CompiledFilter {
        var c = Compilation()
        let sql = c.emit(expr)
        return CompiledFilter(sql: sql, arguments: c.arguments)
    }
}

private struct Compilation {
    var arguments: [String: DatabaseValue] = [:]

    mutating func bind(_ value: DatabaseValue) -> String {
        let name = "filter_\(arguments.count)"
        arguments[name] = value
        return ":" + name
    }

    mutating func bindNumber(_ literal: FilterLiteral) -> String {
        // Integral literals bind as INTEGER (exact beyond 2^53), others as REAL.
        if literal.kind == .number, let i = Int64(literal.text) { return bind(i.databaseValue) }
        return bind((literal.number ?? 0).databaseValue)
    }

    mutating func emit(_ expr: FilterExpr) -> String {
        switch expr {
        case let .and(a, b): return "(\(emit(a)) AND \(emit(b)))"
        case let .or(a, b): return "(\(emit(a)) OR \(emit(b)))"
        case let .not(a): return "(NOT \(emit(a)))"
        case let .compare(field, op, literal): return condition(field, op, [literal], isList: false)
        case let .inList(field, literals): return condition(field, .eq, literals, isList: true)
        }
    }

    /// One condition: `field op literal`, or `field in (literals)` when `isList`.
    mutating func condition(_ field: FilterField, _ op: FilterOp, _ literals: [FilterLiteral], isList: Bool) -> String {
        switch field {
        case .metric(let key):
            let k = bind(key.databaseValue)
            let values = literals.map { bindNumber($0) }
            let test = !isList
                ? "fm.value \(Self.sql(op)) \(values[0])"
                : "fm.value IN (\(values.joined(separator: ", ")))"
            return "EXISTS (SELECT 1 FROM metrics fm WHERE fm.run_id = runs.id AND fm.key = \(k) AND fm.step = 0 AND \(test))"
        case .param(let key):
            let k = bind(key.databaseValue)
            let tests = literals.map { paramTest($0, op) }
            let test = tests.count == 1 ? tests[0] : "(" + tests.joined(separator: " OR ") + ")"
            return "EXISTS (SELECT 1 FROM params fp WHERE fp.run_id = runs.id AND fp.key = \(k) AND \(test))"
        case .attribute(let attribute):
            let column = Self.column(attribute)
            let values = literals.map { attribute.isNumeric ? bindNumber($0) : bind($0.text.databaseValue) }
            return !isList
                ? "\(column) \(Self.sql(op)) \(values[0])"
                : "\(column) IN (\(values.joined(separator: ", ")))"
        }
    }

    /// A param against one literal, by the param's stored type.
    mutating func paramTest(_ literal: FilterLiteral, _ op: FilterOp) -> String {
        var branches: [String] = []
        if literal.number != nil {
            branches.append("(typeof(fp.value) IN ('integer', 'real') AND fp.value \(Self.sql(op)) \(bindNumber(literal)))")
        }
        // A number's text only matters for (in)equality ("4" = 4); ordering text by a
        // number's digits would surprise.
        if literal.kind != .number || op == .eq || op == .ne {
            branches.append("(typeof(fp.value) = 'text' AND fp.value \(Self.sql(op)) \(bind(literal.text.databaseValue)))")
        }
        return branches.count == 1 ? branches[0] : "(" + branches.joined(separator: " OR ") + ")"
    }

    static func sql(_ op: FilterOp) -> String {
        switch op {
        case .eq: "="
        case .ne: "<>"
        case .lt: "<"
        case .le: "<="
        case .gt: ">"
        case .ge: ">="
        }
    }

    static func column(_ a: RunAttribute) -> String {
        switch a {
        case .id: "runs.id"
        case .name: "runs.name"
        case .method: "runs.method"
        case .status: "runs.status"
        case .experiment: "(SELECT e.name FROM experiments e WHERE e.id = runs.experiment_id)"
        case .parent_id: "runs.parent_run_id"
        case .started_at: "runs.started_at"
        case .ended_at: "runs.ended_at"
        }
    }
}
