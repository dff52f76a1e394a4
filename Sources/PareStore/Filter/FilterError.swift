/// A filter that does not parse: what was expected, and the 1-based column where it failed.
public struct FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, without the position ("expected a value after '>'").
    public let message: String
    /// 1-based column (in characters) of the offending token; one past the end at end of input.
    public let column: Int

    public init(_ message: String, column: Int) {
        self.message = message
        self.column = column
    }

    public var description: String { "filter: \(message) at column \(column)" }
}
