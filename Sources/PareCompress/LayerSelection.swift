import PareNN

/// Which Linear layers a method touches: `layers=fc1,fc2`, or every layer by default.
/// Names are module paths, so the same setting will target transformer layers by name later.
public struct LayerSelection: Sendable, Equatable {
    /// nil = every Linear layer.
    public var names: [String]?

    public init(names: [String]?) { self.names = names }

    /// Reads `layers=` from settings (absent = all layers).
    public init(settings: inout Settings) {
        self.names = settings.list("layers")
    }

    /// Indices of the selected layers in `model`; an unknown name is a `ConfigError` listing the real ones.
    public func indices(in model: Model, method: String) throws -> [Int] {
        guard let names else { return Array(model.layers.indices) }
        let known = model.layers.map(\.name)
        return try names.map { name in
            guard let index = known.firstIndex(of: name) else {
                throw ConfigError("\(method): the model has no layer '\(name)' (its layers: \(known.joined(separator: ", "))).")
            }
            return index
        }.sorted()
    }

    /// The config value recorded for this selection ("all" or "fc1,fc2").
    public var recorded: String { names?.joined(separator: ",") ?? "all" }
}
