import Foundation

/// A parsed filter. `not` binds tighter than `and`, which binds tighter than `or`.
public indirect enum FilterExpr: Equatable, Sendable, CustomStringConvertible {
    case and(FilterExpr, FilterExpr)
    case or(FilterExpr, FilterExpr)
    case not(FilterExpr)
    /// `field op literal`: the common case, compiled to an indexed lookup of the run's row.
    case compare(FilterField, FilterOp, FilterLiteral)
    /// `field in (…)`; `not in` parses as `.not(.inList(…))`.
    case inList(FilterField, [FilterLiteral])
    /// `field like 'pattern'` (`%` any text, `_` one character), case-sensitive as in MLflow;
    /// `ilike` ignores ASCII case. `not like` parses as `.not(.like(…))`.
    case like(FilterField, FilterLiteral, caseSensitive: Bool)
    /// A comparison of arithmetic on numbers: `metrics.accuracy - base.accuracy > -0.01`.
    case arithmetic(NumericExpr, FilterOp, NumericExpr)

    /// Fully parenthesized, so tests can check precedence.
    public var description: String {
        switch self {
        case let .and(a, b): "(\(a) and \(b))"
        case let .or(a, b): "(\(a) or \(b))"
        case let .not(a): "(not \(a))"
        case let .compare(f, op, v): "\(f) \(op.rawValue) \(v)"
        case let .inList(f, vs): "\(f) in (\(vs.map(\.description).joined(separator: ", ")))"
        case let .like(f, p, sensitive): "\(f) \(sensitive ? "like" : "ilike") \(p)"
        case let .arithmetic(a, op, b): "\(a) \(op.rawValue) \(b)"
        }
    }
}

/// A number-valued expression: fields, numbers, `+ - * /` and unary minus.
public indirect enum NumericExpr: Equatable, Sendable, CustomStringConvertible {
    /// A numeric field; `column` is where it was written (1-based).
    case field(FilterField, column: Int)
    case number(FilterLiteral)
    case negate(NumericExpr)
    case binary(NumericExpr, ArithmeticOp, NumericExpr)

    public var description: String {
        switch self {
        case let .field(f, _): f.description
        case let .number(l): l.description
        case let .negate(e): "(-\(e))"
        case let .binary(a, op, b): "(\(a) \(op.rawValue) \(b))"
        }
    }
}

public enum ArithmeticOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/"
}

/// What a condition looks at.
public enum FilterField: Hashable, Sendable, CustomStringConvertible {
    /// A metric's final (step 0) value.
    case metric(String)
    /// A config value of the run.
    case param(String)
    /// A label on the run (`pare tag`), always text.
    case tag(String)
    /// The same metric of the run's base run: the latest finished `none` run on the same base
    /// model (`base.accuracy`).
    case base(String)
    /// A column of the run itself.
    case attribute(RunAttribute)

    public var description: String {
        switch self {
        case .metric(let k): "metrics.\(k)"
        case .param(let k): "params.\(k)"
        case .tag(let k): "tags.\(k)"
        case .base(let k): "base.\(k)"
        case .attribute(let a): "run.\(a.rawValue)"
        }
    }

    /// True when the field always holds a number (metrics, numeric run attributes).
    var isNumeric: Bool {
        switch self {
        case .metric, .base: true
        case .attribute(let a): a.isNumeric
        case .param, .tag: false
        }
    }
}

/// The run attributes a filter may name as `run.X` (or MLflow's `attributes.X`).
public enum RunAttribute: String, CaseIterable, Sendable {
    case id, name, method, status, experiment, parent_id, started_at, ended_at
    /// Who computed the run ('pare', 'log', 'mlflow') and its global identity (migrations/0006).
    case source, uid

    /// True for attributes compared as numbers.
    var isNumeric: Bool { self == .id || self == .parent_id }
}

public enum FilterOp: String, Sendable {
    case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="

    /// The same test with its sides swapped (`1 < x` is `x > 1`).
    var flipped: FilterOp {
        switch self {
        case .eq, .ne: self
        case .lt: .gt
        case .le: .ge
        case .gt: .lt
        case .ge: .le
        }
    }
}

/// A literal as typed, with both of its possible readings.
public struct FilterLiteral: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable { case number, string, bool }
    public let kind: Kind
    /// The value as text: a string's content, a number's source text, "true"/"false".
    public let text: String
    /// The value as a number: a number, a numeric-looking string, true = 1 / false = 0.
    public let number: Double?
    /// 1-based column where the literal starts.
    public let column: Int

    public var description: String {
        switch kind {
        case .number, .bool: text
        case .string: "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }

    static func number(fromText text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t.lowercased() {
        case "true": return 1
        case "false": return 0
        default: break
        }
        guard !t.isEmpty, t.allSatisfy({ "0123456789+-.eE".contains($0) }), let d = Double(t), d.isFinite else { return nil }
        return d
    }
}
