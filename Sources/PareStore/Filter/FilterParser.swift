/// Recursive descent over the grammar
///
///     filter     := or END
///     or         := and ( 'or' and )*
///     and        := unary ( 'and' unary )*
///     unary      := 'not' unary | primary
///     primary    := '(' or ')' | condition
///     condition  := sum op sum
///                 | sum ['not'] 'between' sum 'and' sum
///                 | field ['not'] 'in' '(' value ( ',' value )* ')'
///                 | field ['not'] ('like' | 'ilike') STRING
///     sum        := product ( ('+' | '-') product )*
///     product    := factor ( ('*' | '/') factor )*
///     factor     := ('-' | '+') factor | '(' sum ')' | field | value
///     field      := metrics.KEY | params.KEY | tags.KEY | base.KEY | run.ATTR | attributes.ATTR
///                 | KEY (in a budget only: a metric)
///     value      := NUMBER | 'string' | "string" | true | false
///
/// Keywords are case-insensitive; KEY is letters, digits, `_`, `-`, `.`, or `backticks`.
/// Because `-` may appear in a key, write spaces around a minus after a name
/// (`metrics.a - metrics.b`; `metrics.a-metrics.b` is the one key `a-metrics.b`).
/// `base.KEY` is metric KEY of the run's base run: the latest finished `none` run on the same
/// base model. A condition compares one field with a value (`params.bits = '4'` compares as the
/// param's stored type; `tags.KEY`, a label set by `pare tag`, always compares as text), or numbers computed from fields (metrics, base metrics, numeric params,
/// run.id) and numbers; a run lacking a field in such a condition does not match it (x / 0 neither).
/// A key no run has is not an error in a filter: it matches no run (`not` of it matches all), so a
/// filter written for runs still to come works today. Budgets (`pare best --budget`) are stricter:
/// their metrics must be known. `like` is case-sensitive (`%` any text, `_` one character);
/// `ilike` ignores ASCII case.
public enum FilterParser {
    /// The most `and`/`or` a filter may join, and how deep parentheses and `not` may nest: far
    /// beyond any filter a person writes, and low enough that parsing stays fast and shallow.
    public static let maxConditions = 10_000
    public static let maxNesting = 32

    public static func parse(_ input: String) throws -> FilterExpr {
        try parseDetailed(input).expr
    }

    /// The filter and every field it names with the column where it is written.
    /// - Parameter bareNamesAreMetrics: true for budgets, where `size_bytes` means `metrics.size_bytes`.
    public static func parseDetailed(_ input: String, bareNamesAreMetrics: Bool = false) throws
        -> (expr: FilterExpr, fields: [(field: FilterField, column: Int)]) {
        let tokens = try FilterLexer.tokens(input)
        let joins = tokens.filter { $0.isKeyword("and") || $0.isKeyword("or") }
        if joins.count >= maxConditions {
            throw FilterError("a filter may join at most \(maxConditions.formatted()) conditions; this one joins \(joins.count + 1)",
                              column: joins[maxConditions - 1].column)
        }
        var parser = Parser(tokens: tokens, bareNamesAreMetrics: bareNamesAreMetrics)
        let expr = try parser.parseOr()
        guard case .end = parser.current.kind else {
            throw parser.expected("'and', 'or' or the end of the filter")
        }
        return (expr, parser.fields)
    }
}

/// A side of a comparison while parsing: a numeric expression or a lone literal.
private enum Operand {
    case numeric(NumericExpr, column: Int)
    case literal(FilterLiteral)

    var column: Int {
        switch self {
        case let .numeric(_, c): c
        case let .literal(l): l.column
        }
    }
}

private let keywords: Set<String> = ["and", "or", "not", "in", "between", "like", "ilike", "true", "false"]

private struct Parser {
    let tokens: [FilterToken]
    let bareNamesAreMetrics: Bool
    var index = 0
    var fields: [(field: FilterField, column: Int)] = []
    /// Open parentheses and `not`s around the current token.
    var depth = 0

    init(tokens: [FilterToken], bareNamesAreMetrics: Bool) {
        self.tokens = tokens
        self.bareNamesAreMetrics = bareNamesAreMetrics
    }

    var current: FilterToken { tokens[index] }
    var previous: FilterToken? { index > 0 ? tokens[index - 1] : nil }

    mutating func advance() -> FilterToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    /// "expected X after 'prev' at column N" (pointing at the current token).
    func expected(_ what: String) -> FilterError {
        var message = "expected \(what)"
        if let previous { message += " after '\(previous.text)'" }
        if case .end = current.kind {} else { message += ", found '\(current.text)'" }
        return FilterError(message, column: current.column)
    }

    mutating func parseOr() throws -> FilterExpr {
        var left = try parseAnd()
        while current.isKeyword("or") {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws -> FilterExpr {
        var left = try parseUnary()
        while current.isKeyword("and") {
            _ = advance()
            left = .and(left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary() throws -> FilterExpr {
        if current.isKeyword("not") {
            try enter()
            defer { depth -= 1 }
            _ = advance()
            return .not(try parseUnary())
        }
        return try parsePrimary()
    }

    /// One level deeper; past `FilterParser.maxNesting` an error at the current token.
    mutating func enter() throws {
        depth += 1
        if depth > FilterParser.maxNesting {
            throw FilterError("parentheses and 'not' nest more than \(FilterParser.maxNesting) levels deep here", column: current.column)
        }
    }

    mutating func parsePrimary() throws -> FilterExpr {
        if case .lparen = current.kind {
            try enter()
            defer { depth -= 1 }
            // '(' opens either a group of conditions or arithmetic ("(metrics.a - metrics.b) / 2 > 0"):
            // try the group first, then the arithmetic; report whichever got further.
            let saved = (index: index, fields: fields.count)
            let groupError: FilterError
            do {
                let open = advance()
                let inner = try parseOr()
                guard case .rparen = current.kind else {
                    throw expected("')' to close the '(' of column \(open.column)")
                }
                _ = advance()
                return inner
            } catch let error as FilterError {
                groupError = error
            }
            index = saved.index
            fields.removeLast(fields.count - saved.fields)
            do {
                return try parseCondition()
            } catch let error as FilterError {
                throw error.column > groupError.column ? error : groupError
            }
        }
        return try parseCondition()
    }

    mutating func parseCondition() throws -> FilterExpr {
        switch current.kind {
        case .end, .rparen, .comma, .op:
            throw expected("a condition such as metrics.accuracy > 0.9")
        case .word(let w, false) where keywords.contains(w.lowercased()) && !["true", "false"].contains(w.lowercased()):
            throw expected("a condition such as metrics.accuracy > 0.9")
        default: break
        }
        let left = try parseSum()

        if case let .op(op) = current.kind {
            _ = advance()
            let right = try parseSum()
            return try comparison(left, op, right)
        }
        var negated = false
        if current.isKeyword("not") {
            _ = advance()
            negated = true
            guard current.isKeyword("in") || current.isKeyword("between") || current.isKeyword("like") || current.isKeyword("ilike")
            else { throw expected("'in', 'between' or 'like'") }
        }
        let condition: FilterExpr
        if current.isKeyword("between") {
            _ = advance()
            let low = try parseSum()
            guard current.isKeyword("and") else { throw expected("'and' between the two bounds") }
            _ = advance()
            let high = try parseSum()
            condition = .and(try comparison(left, .ge, low), try comparison(left, .le, high))
        } else if current.isKeyword("in") {
            let field = try plainField(left, for: "in")
            _ = advance()
            guard case .lparen = current.kind else { throw expected("'(' to start the list") }
            _ = advance()
            var values = [try parseValue(for: field)]
            while case .comma = current.kind {
                _ = advance()
                values.append(try parseValue(for: field))
            }
            guard case .rparen = current.kind else { throw expected("',' or ')' in the list") }
            _ = advance()
            condition = .inList(field, values)
        } else if current.isKeyword("like") || current.isKeyword("ilike") {
            let field = try plainField(left, for: "like")
            if field.isNumeric {
                throw FilterError("\(field) is a number; 'like' matches text (params and run names)", column: left.column)
            }
            let sensitive = current.isKeyword("like")
            _ = advance()
            guard case let .string(pattern) = current.kind else { throw expected("a 'quoted pattern' such as 'prune-%'") }
            let token = advance()
            condition = .like(field, FilterLiteral(kind: .string, text: pattern, number: nil, column: token.column),
                              caseSensitive: sensitive)
        } else {
            throw expected("a comparison (=, !=, <, <=, >, >=, between, in, like)")
        }
        return negated ? .not(condition) : condition
    }

    /// `left op right`: a field against a value when it is one, else arithmetic on numbers.
    func comparison(_ left: Operand, _ op: FilterOp, _ right: Operand) throws -> FilterExpr {
        switch (left, right) {
        case let (.numeric(.field(field, _), _), .literal(literal)):
            return .compare(field, op, try checked(literal, for: field))
        case let (.literal(literal), .numeric(.field(field, _), _)):
            return .compare(field, op.flipped, try checked(literal, for: field))
        case (.literal, .literal):
            throw FilterError("a condition must name a field, e.g. metrics.accuracy > 0.9", column: left.column)
        default:
            let a = try numeric(left), b = try numeric(right)
            guard a.hasField || b.hasField else {
                throw FilterError("a condition must name a field, e.g. metrics.accuracy > 0.9", column: left.column)
            }
            return .arithmetic(a.expr, op, b.expr)
        }
    }

    /// A literal compared with a field: numeric fields need a number.
    func checked(_ literal: FilterLiteral, for field: FilterField) throws -> FilterLiteral {
        if field.isNumeric && literal.number == nil {
            throw FilterError("\(field) compares with numbers; expected a number, found \(literal.description)", column: literal.column)
        }
        return literal
    }

    /// An operand of arithmetic: numbers and numeric fields only.
    func numeric(_ operand: Operand) throws -> (expr: NumericExpr, hasField: Bool) {
        switch operand {
        case let .literal(l):
            guard let n = l.number, l.kind != .string else {
                throw FilterError("arithmetic needs numbers; found \(l.description)", column: l.column)
            }
            return (.number(FilterLiteral(kind: .number, text: l.kind == .number ? l.text : String(n), number: n, column: l.column)), false)
        case let .numeric(e, _):
            try checkNumeric(e)
            return (e, e.hasField)
        }
    }

    func checkNumeric(_ e: NumericExpr) throws {
        switch e {
        case let .field(.attribute(a), column) where !a.isNumeric:
            throw FilterError("run.\(a.rawValue) is text; arithmetic needs numbers (metrics, base, params, run.id)", column: column)
        case let .field(.tag(key), column):
            throw FilterError("tags.\(key) is text; arithmetic needs numbers (metrics, base, params, run.id)", column: column)
        case .field: return
        case let .number(l) where l.kind == .string:
            throw FilterError("arithmetic needs numbers; found \(l.description)", column: l.column)
        case .number: return
        case let .negate(x): try checkNumeric(x)
        case let .binary(a, _, b): try checkNumeric(a); try checkNumeric(b)
        }
    }

    /// The left side of `in` / `like`: one field, no arithmetic.
    func plainField(_ operand: Operand, for keyword: String) throws -> FilterField {
        guard case let .numeric(.field(field, _), _) = operand else {
            throw FilterError("'\(keyword)' needs a field on its left, e.g. params.method \(keyword) …", column: operand.column)
        }
        return field
    }

    // MARK: arithmetic

    mutating func parseSum() throws -> Operand {
        var left = try parseProduct(first: nil)
        while true {
            if case let .arith(op) = current.kind, op == .add || op == .sub {
                _ = advance()
                let right = try parseProduct(first: nil)
                left = try binary(left, op, right)
            } else if case let .number(text) = current.kind, let sign = text.first, sign == "-" || sign == "+" {
                // "metrics.a -0.5": the lexer read a signed number; here it is a binary minus.
                let token = advance()
                let digits = String(text.dropFirst())
                let literal = FilterLiteral(kind: .number, text: digits, number: Double(digits), column: token.column + 1)
                let right = try parseProduct(first: .literal(literal))
                left = try binary(left, sign == "-" ? .sub : .add, right)
            } else {
                return left
            }
        }
    }

    mutating func parseProduct(first: Operand?) throws -> Operand {
        var left = try first ?? parseFactor()
        while case let .arith(op) = current.kind, op == .mul || op == .div {
            _ = advance()
            let right = try parseFactor()
            left = try binary(left, op, right)
        }
        return left
    }

    mutating func parseFactor() throws -> Operand {
        let token = current
        switch token.kind {
        case .arith(let op) where op == .sub || op == .add:
            _ = advance()
            let inner = try parseFactor()
            let (e, _) = try numeric(inner)
            return .numeric(op == .sub ? .negate(e) : e, column: token.column)
        case .lparen:
            try enter()
            defer { depth -= 1 }
            _ = advance()
            let inner = try parseSum()
            guard case .rparen = current.kind else { throw expected("')' to close the '(' of column \(token.column)") }
            _ = advance()
            if case let .numeric(e, _) = inner { return .numeric(e, column: token.column) }
            return inner
        case .word(let word, let quoted) where quoted || !keywords.contains(word.lowercased()):
            _ = advance()
            let field = try resolveField(word, token)
            fields.append((field, token.column))
            return .numeric(.field(field, column: token.column), column: token.column)
        default:
            return .literal(try parseLiteral())
        }
    }

    func binary(_ left: Operand, _ op: ArithmeticOp, _ right: Operand) throws -> Operand {
        let a = try numeric(left), b = try numeric(right)
        return .numeric(.binary(a.expr, op, b.expr), column: left.column)
    }

    // MARK: values and fields

    mutating func parseLiteral() throws -> FilterLiteral {
        let token = current
        let literal: FilterLiteral
        switch token.kind {
        case .number(let text):
            guard let d = Double(text) else { throw FilterError("malformed number '\(text)'", column: token.column) }
            guard d.isFinite else { throw FilterError("the number '\(text)' is beyond the range of a 64-bit float", column: token.column) }
            literal = FilterLiteral(kind: .number, text: text, number: d, column: token.column)
        case .string(let s):
            literal = FilterLiteral(kind: .string, text: s, number: FilterLiteral.number(fromText: s), column: token.column)
        case .word(let w, false) where ["true", "false"].contains(w.lowercased()):
            literal = FilterLiteral(kind: .bool, text: w.lowercased(), number: w.lowercased() == "true" ? 1 : 0, column: token.column)
        default:
            throw expected("a value (a number, a 'quoted string' or a field)")
        }
        _ = advance()
        return literal
    }

    mutating func parseValue(for field: FilterField) throws -> FilterLiteral {
        try checked(try parseLiteral(), for: field)
    }

    func resolveField(_ word: String, _ token: FilterToken) throws -> FilterField {
        let attributes = RunAttribute.allCases.map(\.rawValue).joined(separator: "|")
        let hint = "use metrics.<key>, params.<key>, tags.<key>, base.<metric> or run.<\(attributes)>"
        guard let dot = word.firstIndex(of: ".") else {
            if bareNamesAreMetrics { return .metric(word) }
            throw FilterError("'\(word)' is not a field; \(hint)", column: token.column)
        }
        let prefix = word[..<dot].lowercased()
        let key = String(word[word.index(after: dot)...])
        guard !key.isEmpty else { throw FilterError("'\(word)' names no key; \(hint)", column: token.column) }
        switch prefix {
        case "metrics", "metric": return .metric(key)
        case "params", "param": return .param(key)
        case "tags", "tag": return .tag(key)
        case "base": return .base(key.hasPrefix("metrics.") ? String(key.dropFirst(8)) : key)
        case "run", "runs", "attributes", "attribute", "attr":
            let name = key.lowercased() == "run_id" ? "id" : key.lowercased()
            guard let attribute = RunAttribute(rawValue: name) else {
                throw FilterError("unknown run attribute '\(key)'; known: \(RunAttribute.allCases.map(\.rawValue).joined(separator: ", "))",
                                  column: token.column)
            }
            return .attribute(attribute)
        default:
            if bareNamesAreMetrics { return .metric(word) }
            throw FilterError("unknown field '\(word)'; \(hint)", column: token.column)
        }
    }
}

private extension NumericExpr {
    var hasField: Bool {
        switch self {
        case .field: true
        case .number: false
        case let .negate(e): e.hasField
        case let .binary(a, _, b): a.hasField || b.hasField
        }
    }
}
