import PareTensor

/// Every compression method by the name users type after `--method`.
public enum Methods {
    public static let all: [any CompressionMethod.Type] = [NoCompression.self] + PruningMethods.all + [
        QuantWeight.self, QuantGPTQ.self, QuantAWQ.self, QuantStatic.self, QuantDynamic.self, QuantSmooth.self, QuantQAT.self,
        LowRankSVD.self, Distill.self, FineTune.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The method called `name`, configured from `--set` values; an unknown name or setting is
    /// a `ConfigError` before anything runs.
    public static func make(_ name: String, settings: [String: String]) throws -> any CompressionMethod {
        guard let type = all.first(where: { $0.name == name }) else {
            throw ConfigError("unknown method '\(name)' (known: \(names.joined(separator: ", "))).")
        }
        if settings["per_layer"] != nil { return try perLayer(type, settings) }
        return try type.init(settings: Settings(method: name, values: settings))
    }

    /// A per-layer recipe of `type` (`per_layer=…`, see `PerLayerRecipe`).
    static func perLayer<M: CompressionMethod>(_ type: M.Type, _ settings: [String: String]) throws -> any CompressionMethod {
        try PerLayerRecipe<M>(values: settings)
    }
}
