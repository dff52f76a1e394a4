import PareNN

/// Which Linear layers a method touches: `layers=fc1,fc2` or glob patterns over module paths
/// (`layers=model.layers.*.mlp.*,*.self_attn.q_proj`: `*` matches any run of characters, dots
/// included, `?` one character). Absent: every layer of an MLP; every Linear inside a
/// transformer's blocks (never embeddings or `lm_head` unless named).
public struct LayerSelection: Sendable, Equatable {
    /// nil = the model's default layers.
    public var names: [String]?

    public init(names: [String]?) { self.names = names }

    /// Reads `layers=` from settings (absent = the default layers).
    public init(settings: inout Settings) {
        self.names = settings.list("layers")
    }

    /// Indices of the selected layers in `model`, in forward order; a name or pattern that
    /// matches no layer is a `ConfigError` listing the real ones.
    public func indices(in model: Model, method: String) throws -> [Int] {
        let known = model.layers.map(\.name)
        let wanted = Set(try paths(in: known, defaults: model.defaultLayerNames, method: method))
        return known.indices.filter { wanted.contains(known[$0]) }
    }

    /// The selected paths among `known` (`defaults` when no `layers=` was given).
    public func paths(in known: [String], defaults: [String], method: String) throws -> [String] {
        guard let names else { return defaults }
        var selected: [String] = []
        for pattern in names {
            let matches = known.filter { globMatches(pattern, $0) }
            guard !matches.isEmpty else {
                let isGlob = pattern.contains("*") || pattern.contains("?")
                throw ConfigError("\(method): \(isGlob ? "the pattern '\(pattern)' matches no layer" : "the model has no layer '\(pattern)'") (its layers: \(Self.summary(of: known))).")
            }
            selected += matches
        }
        return selected
    }

    /// The layer names for an error message: all of them for a small model, else the first
    /// few and a count (a transformer has hundreds).
    static func summary(of names: [String]) -> String {
        names.count <= 12 ? names.joined(separator: ", ")
            : names.prefix(8).joined(separator: ", ") + ", … \(names.count - 8) more; run `pare layers --model M` to list them"
    }

    /// The config value recorded for this selection ("all" or "fc1,fc2").
    public var recorded: String { names?.joined(separator: ",") ?? "all" }
}
