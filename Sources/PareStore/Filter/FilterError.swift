/// A filter that does not parse: what was expected, and the 1-based column where it failed.
public struct FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, without the position ("expected a value after '>'").
    public let message: String
    /// 1-based column (in characters) of the offending token; one past the end at end of input.
    public let column: Int
    /// What the text was: "filter" (--where) or "budget" (--budget).
    public let context: String

    /// What may help, after the position ("known: accuracy, …").
    public let hint: String?

    public init(_ message: String, column: Int, context: String = "filter", hint: String? = nil) {
        self.message = message
        self.column = column
        self.context = context
        self.hint = hint
    }

    /// The same error about text of another kind ("budget").
    public func about(_ context: String) -> FilterError { FilterError(message, column: column, context: context, hint: hint) }

    public var description: String { "\(context): \(message) at column \(column)" + (hint.map { "; \($0)" } ?? "") }
}
