import Foundation
import PareTensor

/// A config the user got wrong: the description is one sentence saying what and how to fix it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The `--set key=value` pairs of one method, read with validation. Every read marks its key
/// used; `finish()` rejects keys no read asked for, so a typo ("amout") is an error, not a
/// silently ignored option.
public struct Settings: Sendable {
    public let method: String
    private let values: [String: String]
    private var used: Set<String> = []

    public init(method: String, values: [String: String]) {
        self.method = method
        self.values = values
    }

    public func has(_ key: String) -> Bool { values[key] != nil }

    public mutating func string(_ key: String, default fallback: String? = nil, oneOf choices: [String]? = nil) throws -> String? {
        used.insert(key)
        guard let raw = values[key] else { return fallback }
        if let choices, !choices.contains(raw) {
            throw ConfigError("\(method): \(key) must be one of \(choices.joined(separator: ", ")), not '\(raw)'.")
        }
        return raw
    }

    /// A number; `valid` describes the allowed range in words for the error message.
    public mutating func double(_ key: String, default fallback: Double? = nil,
                                valid: (description: String, test: (Double) -> Bool)? = nil) throws -> Double? {
        used.insert(key)
        guard let raw = values[key] else { return fallback }
        guard let value = Double(raw), value.isFinite else {
            throw ConfigError("\(method): \(key) must be a number, not '\(raw)'.")
        }
        if let valid, !valid.test(value) {
            throw ConfigError("\(method): \(key)=\(raw) is out of range; it must be \(valid.description).")
        }
        return value
    }

    public mutating func int(_ key: String, default fallback: Int? = nil,
                             valid: (description: String, test: (Int) -> Bool)? = nil) throws -> Int? {
        used.insert(key)
        guard let raw = values[key] else { return fallback }
        guard let value = Int(raw) else {
            throw ConfigError("\(method): \(key) must be a whole number, not '\(raw)'.")
        }
        if let valid, !valid.test(value) {
            throw ConfigError("\(method): \(key)=\(raw) is out of range; it must be \(valid.description).")
        }
        return value
    }

    /// A comma-separated list, e.g. layers=fc1,fc2.
    public mutating func list(_ key: String) -> [String]? {
        used.insert(key)
        return values[key].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// Throws if any key was given that no read asked for.
    public func finish() throws {
        let unknown = Set(values.keys).subtracting(used).sorted()
        if let first = unknown.first {
            let takes = used.isEmpty ? "it takes no settings" : "it takes: \(used.sorted().joined(separator: ", "))"
            throw ConfigError("\(method) has no setting '\(first)' (\(takes)).")
        }
    }
}
