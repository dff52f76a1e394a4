import GRDB

/// A filter compiled to an SQL boolean expression over the row `runs`, with every key and
/// value a bound parameter (`:filter_N`). The SQL text is built only from the store's own
/// fixed fragments; nothing the user typed reaches it.
public struct CompiledFilter: Sendable {
    public let sql: String
    public let arguments: [String: DatabaseValue]

    /// Parses and compiles `text` for a store's SQL dialect; nil for no filter (nil, empty or blank).
    public static func compile(_ text: String?, dialect: SQLDialect = .sqlite) throws -> CompiledFilter? {
        guard let text, !text.allSatisfy(\.isWhitespace) else { return nil }
        return FilterCompiler.compile(try FilterParser.parse(text), dialect: dialect)
    }

    /// The statement arguments of a query that has this filter spliced in, with `:interrupted`
    /// (the running runs whose process is gone, shown and filtered as status 'interrupted').
    static func arguments(_ filter: CompiledFilter?, _ base: [String: (any DatabaseValueConvertible)?],
                          db: Database) throws -> StatementArguments {
        var all = base.mapValues { $0?.databaseValue ?? .null }
        for (k, v) in filter?.arguments ?? [:] { all[k] = v }
        all["interrupted"] = try Store.interruptedArgument(db).databaseValue
        return StatementArguments(all)
    }
}

/// AST → SQL. A condition on a metric, param or tag is an EXISTS over that run's row, so it is
/// true only when the run has the key and the comparison holds (`not` negates that).
/// Metrics compare their step-0 value. Params compare typed: numeric params against the
/// literal's numeric reading, text params against its text.
/// PostgreSQL's dialect differs where SQLite is loose: booleans are not integers, a param's
/// type is its column (migrations/postgresql/0001), LIKE is case-sensitive (ILIKE is not), and
/// x / 0 is an error, so it is written x / NULLIF(0, 0) to stay NULL.
public enum FilterCompiler {
    public static func compile(_ expr: FilterExpr, dialect: SQLDialect = .sqlite) -> CompiledFilter {
        var c = Compilation(dialect: dialect)
        let sql = c.emit(expr)
        return CompiledFilter(sql: sql, arguments: c.arguments)
    }
}

private struct Compilation {
    let dialect: SQLDialect
    var arguments: [String: DatabaseValue] = [:]
    var postgres: Bool { dialect == .postgresql }
    var falseValue: String { postgres ? "FALSE" : "0" }

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
        case .and: return balanced(Self.terms(of: expr, and: true), "AND")
        case .or: return balanced(Self.terms(of: expr, and: false), "OR")
        case let .not(a): return "(NOT \(emit(a)))"
        case let .compare(field, op, literal): return condition(field, op, [literal], isList: false)
        case let .inList(field, literals): return condition(field, .eq, literals, isList: true)
        case let .like(field, pattern, sensitive): return like(field, pattern.text, caseSensitive: sensitive)
        case let .arithmetic(a, op, b):
            // A run lacking a field makes the comparison NULL: it does not match, and `not`
            // of it does (as for a plain condition on a missing key).
            return "COALESCE(\(numeric(a)) \(Self.sql(op)) \(numeric(b)), \(falseValue))"
        }
    }

    /// A chain `a and b and c …` (or `or`) as a balanced tree of parenthesized halves: SQLite's
    /// parser stack and its expression depth limit (1000) would overflow on a left-deep chain of
    /// a few hundred conditions; halves nest only log2(n) deep.
    mutating func balanced(_ terms: [FilterExpr], _ op: String) -> String {
        if terms.count == 1 { return emit(terms[0]) }
        let middle = terms.count / 2
        return "(\(balanced(Array(terms[..<middle]), op)) \(op) \(balanced(Array(terms[middle...]), op)))"
    }

    /// The operands of a chain of one operator, in order, without recursing per operand.
    static func terms(of expr: FilterExpr, and: Bool) -> [FilterExpr] {
        var out: [FilterExpr] = []
        var stack = [expr]
        while let e = stack.popLast() {
            switch (e, and) {
            case let (.and(a, b), true), let (.or(a, b), false): stack.append(b); stack.append(a)
            default: out.append(e)
            }
        }
        return out
    }

    /// One condition: `field op literal`, or `field in (literals)` when `isList`.
    mutating func condition(_ field: FilterField, _ op: FilterOp, _ literals: [FilterLiteral], isList: Bool) -> String {
        switch field {
        case .metric(let key), .base(let key):
            let k = bind(key.databaseValue)
            let values = literals.map { bindNumber($0) }
            let test = !isList
                ? "fm.value \(Self.sql(op)) \(values[0])"
                : "fm.value IN (\(values.joined(separator: ", ")))"
            let run = if case .base = field { Self.baseRunID } else { "runs.id" }
            return "EXISTS (SELECT 1 FROM metrics fm WHERE fm.run_id = \(run) AND fm.key = \(k) AND fm.step = 0 AND \(test))"
        case .param(let key):
            let k = bind(key.databaseValue)
            let tests = literals.map { paramTest($0, op) }
            let test = tests.count == 1 ? tests[0] : "(" + tests.joined(separator: " OR ") + ")"
            return "EXISTS (SELECT 1 FROM params fp WHERE fp.run_id = runs.id AND fp.key = \(k) AND \(test))"
        case .tag(let key):
            // Tags are text: compared by the literal's text, so `tags.k = 4` matches the tag "4".
            let k = bind(key.databaseValue)
            let values = literals.map { bind($0.text.databaseValue) }
            let test = !isList
                ? "ft.value \(Self.sql(op)) \(values[0])"
                : "ft.value IN (\(values.joined(separator: ", ")))"
            return "EXISTS (SELECT 1 FROM tags ft WHERE ft.run_id = runs.id AND ft.key = \(k) AND \(test))"
        case .attribute(let attribute):
            let column = column(attribute)
            let values = literals.map { attribute.isNumeric ? bindNumber($0) : bind($0.text.databaseValue) }
            return !isList
                ? "\(column) \(Self.sql(op)) \(values[0])"
                : "\(column) IN (\(values.joined(separator: ", ")))"
        }
    }

    /// `like` as GLOB (case-sensitive, as MLflow's LIKE), `ilike` as SQLite's LIKE (ASCII case
    /// folded). Params match by their text, whatever their type.
    mutating func like(_ field: FilterField, _ pattern: String, caseSensitive: Bool) -> String {
        let p = bind((caseSensitive && !postgres ? Self.glob(fromLike: pattern) : pattern).databaseValue)
        let test = postgres ? (caseSensitive ? "LIKE \(p)" : "ILIKE \(p)") : (caseSensitive ? "GLOB \(p)" : "LIKE \(p)")
        switch field {
        case .param(let key):
            let k = bind(key.databaseValue)
            let text = postgres ? "coalesce(fp.value_text, fp.value_integer::text, fp.value_real::text)" : "CAST(fp.value AS TEXT)"
            return "EXISTS (SELECT 1 FROM params fp WHERE fp.run_id = runs.id AND fp.key = \(k) AND \(text) \(test))"
        case .tag(let key):
            let k = bind(key.databaseValue)
            return "EXISTS (SELECT 1 FROM tags ft WHERE ft.run_id = runs.id AND ft.key = \(k) AND ft.value \(test))"
        case .attribute(let attribute):
            return "COALESCE(\(column(attribute)) \(test), \(falseValue))"
        case .metric, .base:
            return falseValue  // the parser rejects like on numbers
        }
    }

    /// A LIKE pattern as the GLOB pattern that matches the same strings, case-sensitively.
    static func glob(fromLike pattern: String) -> String {
        var out = ""
        for c in pattern {
            switch c {
            case "%": out += "*"
            case "_": out += "?"
            case "*": out += "[*]"
            case "?": out += "[?]"
            case "[": out += "[[]"
            default: out.append(c)
            }
        }
        return out
    }

    /// A numeric expression as SQL; NULL when a field is missing (or a param is text).
    mutating func numeric(_ e: NumericExpr) -> String {
        switch e {
        case let .field(field, _):
            switch field {
            case .metric(let key):
                return "(SELECT fm.value FROM metrics fm WHERE fm.run_id = runs.id AND fm.key = \(bind(key.databaseValue)) AND fm.step = 0)"
            case .base(let key):
                return "(SELECT fm.value FROM metrics fm WHERE fm.run_id = \(Self.baseRunID) AND fm.key = \(bind(key.databaseValue)) AND fm.step = 0)"
            case .param(let key):
                let number = postgres ? "fp.value_number" : "CASE WHEN typeof(fp.value) IN ('integer', 'real') THEN fp.value END"
                return "(SELECT \(number) FROM params fp WHERE fp.run_id = runs.id AND fp.key = \(bind(key.databaseValue)))"
            case .attribute(let a):
                return column(a)
            case .tag:
                return "NULL"  // the parser rejects tags in arithmetic: they are text
            }
        case let .number(literal):
            return bind((literal.number ?? 0).databaseValue)  // REAL, so 1 / 2 is 0.5
        case let .negate(x):
            return "(-\(numeric(x)))"
        case let .binary(a, op, b):
            let l = numeric(a), r = numeric(b)
            switch op {
            case .add: return "(\(l) + \(r))"
            case .sub: return "(\(l) - \(r))"
            case .mul: return "(\(l) * \(r))"
            case .div: return postgres ? "(\(l) * 1.0 / NULLIF(\(r), 0))" : "(\(l) * 1.0 / \(r))"  // never integer division; x / 0 is NULL
            }
        }
    }

    /// The run's base run: the latest finished `none` run on the same base model, found by one
    /// seek of runs_base_model (migrations/0002). queries/summary.sql uses the same definition.
    static let baseRunID = "(SELECT b.id FROM runs b WHERE b.base_model_hash = runs.base_model_hash "
        + "AND b.method = 'none' AND b.status = 'finished' ORDER BY b.id DESC LIMIT 1)"

    /// A param against one literal, by the param's stored type.
    mutating func paramTest(_ literal: FilterLiteral, _ op: FilterOp) -> String {
        var branches: [String] = []
        if literal.number != nil {
            branches.append(postgres ? "(fp.value_number \(Self.sql(op)) \(bindNumber(literal)))"
                : "(typeof(fp.value) IN ('integer', 'real') AND fp.value \(Self.sql(op)) \(bindNumber(literal)))")
        }
        // A number's text only matters for (in)equality ("4" = 4); ordering text by a
        // number's digits would surprise.
        if literal.kind != .number || op == .eq || op == .ne {
            branches.append(postgres ? "(fp.value_text \(Self.sql(op)) \(bind(literal.text.databaseValue)))"
                : "(typeof(fp.value) = 'text' AND fp.value \(Self.sql(op)) \(bind(literal.text.databaseValue)))")
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

    func column(_ a: RunAttribute) -> String {
        switch a {
        case .id: "runs.id"
        case .name: "runs.name"
        case .method: "runs.method"
        case .status: "(CASE WHEN runs.status = 'running' AND runs.id IN "
            + (postgres ? "(SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint) " : "(SELECT value FROM json_each(:interrupted)) ")
            + "THEN 'interrupted' ELSE runs.status END)"
        case .experiment: "(SELECT e.name FROM experiments e WHERE e.id = runs.experiment_id)"
        case .parent_id: "runs.parent_run_id"
        case .started_at: "runs.started_at"
        case .ended_at: "runs.ended_at"
        case .source: "runs.source"
        case .uid: "runs.uid"
        }
    }
}
