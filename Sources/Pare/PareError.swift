/// A mistake in what the user asked for (a file, a flag, a combination): the description is
/// one sentence saying what is wrong and, where it helps, how to fix it.
public struct PareError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
