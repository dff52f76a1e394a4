/// Recursive descent over the grammar
///
///     filter     := or END
///     or         := and ( 'or' and )*
///     and        := unary ( 'and' unary )*
///     unary      := 'not' unary | primary
///     primary    := '(' or ')' | condition
///     condition  := field op value | field ['not'] 'in' '(' value ( ',' value )* ')'
///     field      := metrics.KEY | params.KEY | run.ATTR | attributes.ATTR
///     value      := NUMBER | 'string' | "string" | true | false
///
/// Keywords are case-insensitive; KEY is letters, digits, `_`, `-`, `.`, or `backticks`.
public enum FilterParser {
    public static func parse(_ input: String) throws -> FilterExpr {
        var parser = Parser(tokens: try FilterLexer.tokens(input))
        let expr = try parser.parseOr()
        guard case .end = parser.current.kind else {
            throw parser.expected("'and', 'or' or the end of the filter")
        }
        return expr
    }
}

private struct Parser {
    let tokens: [FilterToken]
    var index = 0

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
            _ = advance()
            return .not(try parseUnary())
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws -> FilterExpr {
        if case .lparen = current.kind {
            let open = advance()
            let inner = try parseOr()
            guard case .rparen = current.kind else {
                throw expected("')' to close the '(' of column \(open.column)")
            }
            _ = advance()
            return inner
        }
        guard case let .word(word, quoted) = current.kind,
              quoted || !["and", "or", "not", "in", "true", "false"].contains(word.lowercased())
        else { throw expected("a condition such as metrics.accuracy > 0.9") }
        let fieldToken = advance()
        let field = try resolveField(word, fieldToken)

        if case let .op(op) = current.kind {
            _ = advance()
            return .compare(field, op, try parseValue(for: field))
        }
        var negated = false
        if current.isKeyword("not") {
            _ = advance()
            negated = true
            guard current.isKeyword("in") else { throw expected("'in'") }
        }
        guard current.isKeyword("in") else {
            throw expected("a comparison (=, !=, <, <=, >, >=, in, not in)")
        }
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
        let list = FilterExpr.inList(field, values)
        return negated ? .not(list) : list
    }

    mutating func parseValue(for field: FilterField) throws -> FilterLiteral {
        let token = current
        let literal: FilterLiteral
        switch token.kind {
        case .number(let text):
            guard let d = Double(text) else { throw FilterError("malformed number '\(text)'", column: token.column) }
            literal = FilterLiteral(kind: .number, text: text, number: d, column: token.column)
        case .string(let s):
            literal = FilterLiteral(kind: .string, text: s, number: FilterLiteral.number(fromText: s), column: token.column)
        case .word(let w, false) where ["true", "false"].contains(w.lowercased()):
            literal = FilterLiteral(kind: .bool, text: w.lowercased(), number: w.lowercased() == "true" ? 1 : 0, column: token.column)
        default:
            throw expected("a value (a number or a 'quoted string')")
        }
        _ = advance()
        let numeric: Bool = switch field {
        case .metric: true
        case .attribute(let a): a.isNumeric
        case .param: false
        }
        if numeric && literal.number == nil {
            throw FilterError("\(field) compares with numbers; expected a number, found \(token.text)", column: token.column)
        }
        return literal
    }

    func resolveField(_ word: String, _ token: FilterToken) throws -> FilterField {
        let attributes = RunAttribute.allCases.map(\.rawValue).joined(separator: "|")
        let hint = "use metrics.<key>, params.<key> or run.<\(attributes)>"
        guard let dot = word.firstIndex(of: ".") else {
            throw FilterError("'\(word)' is not a field; \(hint)", column: token.column)
        }
        let prefix = word[..<dot].lowercased()
        let key = String(word[word.index(after: dot)...])
        guard !key.isEmpty else { throw FilterError("'\(word)' names no key; \(hint)", column: token.column) }
        switch prefix {
        case "metrics", "metric": return .metric(key)
        case "params", "param": return .param(key)
        case "run", "runs", "attributes", "attribute", "attr":
            let name = key.lowercased() == "run_id" ? "id" : key.lowercased()
            guard let attribute = RunAttribute(rawValue: name) else {
                throw FilterError("unknown run attribute '\(key)'; known: \(RunAttribute.allCases.map(\.rawValue).joined(separator: ", "))",
                                  column: token.column)
            }
            return .attribute(attribute)
        default:
            throw FilterError("unknown field '\(word)'; \(hint)", column: token.column)
        }
    }
}
