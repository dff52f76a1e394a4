/// Typed reads of a GGUF file's metadata. Each returns nil when the key is absent or holds a
/// value of another kind; the `require…` forms throw an error naming the file and key instead.
extension GGUFFile {
    /// `general.architecture` ("llama", "bert", …): the prefix of the architecture's own keys.
    public var architecture: String? { string("general.architecture") }

    public func string(_ key: String) -> String? { metadata[key]?.stringValue }

    /// A value of any integer type that fits in Int.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// A float32 value exactly (a float64 or integer value rounded to Float).
    public func float(_ key: String) -> Float? { metadata[key]?.floatValue }

    /// A float32 or float64 value exactly (or an integer value).
    public func double(_ key: String) -> Double? { metadata[key]?.doubleValue }

    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }

    /// An array of strings (nil for an array of anything else).
    public func stringArray(_ key: String) -> [String]? { array(key, \.stringValue) }

    /// An array of any integer type whose every element fits in Int.
    public func intArray(_ key: String) -> [Int]? { array(key, \.intValue) }

    /// An array of floats (float32 exact; float64 or integers rounded to Float).
    public func floatArray(_ key: String) -> [Float]? { array(key, \.floatValue) }

    private func array<T>(_ key: String, _ element: (GGUFValue) -> T?) -> [T]? {
        guard let elements = metadata[key]?.arrayElements else { return nil }
        let values = elements.compactMap(element)
        return values.count == elements.count ? values : nil
    }

    public func requireString(_ key: String) throws(GGUFError) -> String {
        guard let value = string(key) else { throw missing(key, "a string") }
        return value
    }

    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let value = int(key) else { throw missing(key, "an integer") }
        return value
    }

    public func requireFloat(_ key: String) throws(GGUFError) -> Float {
        guard let value = float(key) else { throw missing(key, "a number") }
        return value
    }

    public func requireStringArray(_ key: String) throws(GGUFError) -> [String] {
        guard let value = stringArray(key) else { throw missing(key, "an array of strings") }
        return value
    }

    func missing(_ key: String, _ expected: String) -> GGUFError {
        guard let value = metadata[key] else {
            return GGUFError(.missingMetadata, "\(source) has no metadata key '\(key)', which should hold \(expected).")
        }
        return GGUFError(.missingMetadata, "\(source) has metadata key '\(key)' = \(value), not \(expected).")
    }
}
