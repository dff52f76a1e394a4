/// Splits a filter into tokens, each with its 1-based column.
struct FilterToken: Equatable {
    enum Kind: Equatable {
        /// A word: `metrics.accuracy`, `and`, `in`… (`quoted` when any part was in backticks,
        /// so it can never be a keyword).
        case word(String, quoted: Bool)
        case string(String)
        case number(String)
        case op(FilterOp)
        case arith(ArithmeticOp)
        case lparen, rparen, comma, end
    }
    let kind: Kind
    /// The token as written, for error messages.
    let text: String
    let column: Int

    /// True when this token is the keyword `k` (case-insensitive).
    func isKeyword(_ k: String) -> Bool {
        if case let .word(w, quoted) = kind, !quoted { return w.lowercased() == k }
        return false
    }
}

enum FilterLexer {
    static func tokens(_ input: String) throws -> [FilterToken] {
        let chars = Array(input)
        var i = 0
        var out: [FilterToken] = []
        func isWordChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == ".") }
        func isDigit(_ c: Character?) -> Bool { c.map { $0.isASCII && $0.isNumber } ?? false }
        func at(_ j: Int) -> Character? { j < chars.count ? chars[j] : nil }

        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "*": out.append(.init(kind: .arith(.mul), text: "*", column: column)); i += 1
            case "/":
                if at(i + 1) == "*" { throw FilterError("SQL comments are not part of a filter", column: column) }
                out.append(.init(kind: .arith(.div), text: "/", column: column)); i += 1
            case "(": out.append(.init(kind: .lparen, text: "(", column: column)); i += 1
            case ")": out.append(.init(kind: .rparen, text: ")", column: column)); i += 1
            case ",": out.append(.init(kind: .comma, text: ",", column: column)); i += 1
            case "=":
                let two = at(i + 1) == "="
                out.append(.init(kind: .op(.eq), text: two ? "==" : "=", column: column)); i += two ? 2 : 1
            case "!":
                guard at(i + 1) == "=" else { throw FilterError("unexpected character '!' (did you mean '!='?)", column: column) }
                out.append(.init(kind: .op(.ne), text: "!=", column: column)); i += 2
            case "<":
                if at(i + 1) == "=" { out.append(.init(kind: .op(.le), text: "<=", column: column)); i += 2 }
                else if at(i + 1) == ">" { out.append(.init(kind: .op(.ne), text: "<>", column: column)); i += 2 }
                else { out.append(.init(kind: .op(.lt), text: "<", column: column)); i += 1 }
            case ">":
                if at(i + 1) == "=" { out.append(.init(kind: .op(.ge), text: ">=", column: column)); i += 2 }
                else { out.append(.init(kind: .op(.gt), text: ">", column: column)); i += 1 }
            case "'", "\"":
                var value = ""
                var j = i + 1
                var closed = false
                while j < chars.count {
                    if chars[j] == c {
                        if at(j + 1) == c { value.append(c); j += 2; continue }
                        closed = true; j += 1; break
                    }
                    value.append(chars[j]); j += 1
                }
                guard closed else { throw FilterError("unterminated string (missing closing \(c))", column: column) }
                out.append(.init(kind: .string(value), text: String(chars[i..<j]), column: column))
                i = j
            case _ where isDigit(c) || ((c == "-" || c == "+" || c == ".") && (isDigit(at(i + 1)) || (at(i + 1) == "." && isDigit(at(i + 2))))):
                var j = i
                if chars[j] == "-" || chars[j] == "+" { j += 1 }
                while isDigit(at(j)) { j += 1 }
                if at(j) == ".", isDigit(at(j + 1)) || j > i { j += 1; while isDigit(at(j)) { j += 1 } }
                if at(j) == "e" || at(j) == "E" {
                    var k = j + 1
                    if at(k) == "+" || at(k) == "-" { k += 1 }
                    if isDigit(at(k)) { j = k; while isDigit(at(j)) { j += 1 } }
                }
                // A letter, digit, `_` or `.` glued on is a typo; `-` or `+` starts the next term.
                if let next = at(j), isWordChar(next) && next != "-" {
                    throw FilterError("malformed number '\(String(chars[i...j]))'", column: column)
                }
                let text = String(chars[i..<j])
                out.append(.init(kind: .number(text), text: text, column: column))
                i = j
            case "-" where at(i + 1) == "-":
                throw FilterError("SQL comments are not part of a filter", column: column)
            case "-": out.append(.init(kind: .arith(.sub), text: "-", column: column)); i += 1
            case "+": out.append(.init(kind: .arith(.add), text: "+", column: column)); i += 1
            case _ where (c.isASCII && (c.isLetter || c == "_")) || c == "`":
                var value = ""
                var quoted = false
                var j = i
                while j < chars.count {
                    if chars[j] == "`" {
                        quoted = true
                        var k = j + 1
                        var closed = false
                        while k < chars.count {
                            if chars[k] == "`" {
                                if at(k + 1) == "`" { value.append("`"); k += 2; continue }
                                closed = true; k += 1; break
                            }
                            value.append(chars[k]); k += 1
                        }
                        guard closed else { throw FilterError("unterminated `quoted` name", column: j + 1) }
                        j = k
                    } else if isWordChar(chars[j]) {
                        value.append(chars[j]); j += 1
                    } else {
                        break
                    }
                }
                out.append(.init(kind: .word(value, quoted: quoted), text: String(chars[i..<j]), column: column))
                i = j
            default:
                throw FilterError("unexpected character '\(c)'", column: column)
            }
        }
        // The end sits just after the last non-blank character, so "x >  " fails at column 4.
        let last = chars.lastIndex(where: { !$0.isWhitespace }) ?? -1
        out.append(.init(kind: .end, text: "", column: last + 2))
        return out
    }
}
