import Foundation

/// A parsed filter. `not` binds tighter than `and`, which binds tighter than `or`.
public indirect enum FilterExpr: Equatable, Sendable, CustomStringConvertible {
    case and(FilterExpr, FilterExpr)
    case or(FilterExpr, FilterExpr)
    case not(FilterExpr)
    case compare(FilterField, FilterOp, FilterLiteral)
    /// `field in (…)`; `not in` parses as `.not(.inList(…))`.
    case inList(FilterField, [FilterLiteral])

    /// Fully parenthesized, so tests can check precedence.
    public var description: String {
        switch self {
        case let .and(a, b): "(\(a) and \(b))"
        case let .or(a, b): "(\(a) or \(b))"
        case let .not(a): "(not \(a))"
        case let .compare(f, op, v): "\(f) \(op.rawValue) \(v)"
        case let .inList(f, vs): "\(f) in (\(vs.map(\.description).joined(separator: ", ")))"
        }
    }
}

/// What a condition looks at.
public enum FilterField: Equatable, Sendable, CustomStringConvertible {
    /// A metric's final (step 0) value.
    case metric(String)
    /// A config value of the run.
    case param(String)
    /// A column of the run itself.
    case attribute(RunAttribute)

    public var description: String {
        switch self {
        case .metric(let k): "metrics.\(k)"
        case .param(let k): "params.\(k)"
        case .attribute(let a): "run.\(a.rawValue)"
        }
    }
}

/// The run attributes a filter may name as `run.X` (or MLflow's `attributes.X`).
public enum RunAttribute: String, CaseIterable, Sendable {
    case id, name, method, status, experiment, parent_id, started_at, ended_at

    /// True for attributes compared as numbers.
    var isNumeric: Bool { self == .id || self == .parent_id }
}

public enum FilterOp: String, Sendable {
    case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
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
