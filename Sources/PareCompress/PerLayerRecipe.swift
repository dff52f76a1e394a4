import PareNN
import PareTensor

/// Per-layer recipes: `--set 'per_layer=*.self_attn.*:bits=8;*.mlp.*:bits=4'` gives layer
/// patterns their own settings, for any one-shot method that takes `layers=`.
///
/// Grammar: `per_layer=GROUP[;GROUP…]`, each `GROUP` is `PATTERNS:KEY=VALUE[,KEY=VALUE…]`,
/// `PATTERNS` one glob over the model's Linear paths (as `layers=`: `*` any run of characters,
/// `?` one) or several joined by `|`. A group's settings override the method's other `--set`
/// values for the layers its patterns match. The layers of the method's own selection
/// (`layers=`, or its default) that no group matches are compressed with the other settings
/// alone. The method runs once per group, in the order written, then once on the rest, each run
/// seeing the model the previous one left (a calibrated method calibrates on it).
///
/// Errors, each before anything runs: a group without `:` or with a `KEY=VALUE` lacking `=`; a
/// key the method does not take; `layers` inside a group (its patterns are its layers); a key
/// given twice in a group; a pattern matching no layer; a layer matched by two patterns.
/// A group's keys are added to the other settings, not swapped for them: where a method takes
/// one of several keys (`lowrank-svd`'s rank, ratio, energy), a group gives the same key the
/// other settings use, or the method's own "one of" error says so.
///
/// Recorded config: the method's own config, `per_layer` (the recipe as written) and, for group
/// i (from 1), `per_layer.i.layers` (its patterns) and `per_layer.i.KEY` for each key it sets,
/// with the value the method reads (typed as the method records it).
public struct PerLayerRecipe<Method: CompressionMethod>: CompressionMethod {
    public static var name: String { Method.name }
    public static var summary: String { Method.summary }

    public struct Group: Sendable {
        public var patterns: [String]
        public var settings: [(key: String, value: String)]
        /// The method configured for this group's layers.
        public var method: Method
    }

    public let recipe: String
    public let groups: [Group]
    /// The method with the settings outside `per_layer` (for its config and its default layers).
    public let base: Method
    let baseSettings: [String: String]

    public init(settings: Settings) throws {
        throw ConfigError("\(Method.name): a per-layer recipe is made by Methods.make from --set values.")
    }

    /// `values` are the method's --set values, `per_layer` among them.
    public init(values: [String: String]) throws {
        guard let recipe = values["per_layer"] else { throw ConfigError("\(Method.name): per_layer is missing.") }
        var others = values
        others["per_layer"] = nil
        self.recipe = recipe
        self.baseSettings = others
        base = try Method(settings: Settings(method: Method.name, values: others))
        let parsed = try Self.parse(recipe)
        // A method without layers= cannot be given per-layer settings: say so before any key error.
        var probe = others
        probe["layers"] = parsed[0].0.joined(separator: ",")
        do { _ = try Method(settings: Settings(method: Method.name, values: probe)) } catch let error as ConfigError {
            if error.description.contains("has no setting 'layers'") {
                throw ConfigError("per_layer needs a method that takes layers=, and \(Method.name) does not; drop per_layer.")
            }
        }
        var groups: [Group] = []
        for (patterns, pairs) in parsed {
            var merged = others
            for (k, v) in pairs { merged[k] = v }
            merged["layers"] = patterns.joined(separator: ",")
            let label = patterns.joined(separator: "|")
            do {
                groups.append(Group(patterns: patterns, settings: pairs,
                                    method: try Method(settings: Settings(method: Method.name, values: merged))))
            } catch let error as ConfigError {
                throw ConfigError("per_layer group '\(label)': \(error.description)")
            }
        }
        if base.baseline != nil {
            throw ConfigError("per_layer works with one-shot methods, and \(Method.name) trains a companion run; drop per_layer.")
        }
        self.groups = groups
    }

    /// `PATTERNS:KEY=VALUE,…;…` as (patterns, settings) per group.
    static func parse(_ recipe: String) throws -> [([String], [(key: String, value: String)])] {
        let text = recipe.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            throw ConfigError("per_layer is empty; write per_layer=PATTERN:KEY=VALUE[;PATTERN:KEY=VALUE…], e.g. per_layer=*.mlp.*:bits=4.")
        }
        var out: [([String], [(key: String, value: String)])] = []
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            let group = part.trimmingCharacters(in: .whitespaces)
            guard let colon = group.firstIndex(of: ":") else {
                throw ConfigError("per_layer group '\(group)' has no ':'; write PATTERN:KEY=VALUE[,KEY=VALUE…], e.g. *.mlp.*:bits=4.")
            }
            let patterns = group[..<colon].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !patterns.isEmpty, !patterns.contains(where: \.isEmpty) else {
                throw ConfigError("per_layer group '\(group)' has an empty pattern before ':'; name the layers, e.g. *.mlp.*.")
            }
            var pairs: [(key: String, value: String)] = []
            for item in group[group.index(after: colon)...].split(separator: ",") {
                let pair = item.trimmingCharacters(in: .whitespaces)
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                    throw ConfigError("per_layer group '\(group)': '\(pair)' is not KEY=VALUE.")
                }
                let key = String(pair[..<eq]).trimmingCharacters(in: .whitespaces)
                let value = String(pair[pair.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
                if key == "layers" {
                    throw ConfigError("per_layer group '\(group)' sets layers, but its patterns are its layers; drop layers= from the group.")
                }
                if key == "per_layer" { throw ConfigError("per_layer group '\(group)' nests per_layer; a recipe has one level.") }
                if pairs.contains(where: { $0.key == key }) {
                    throw ConfigError("per_layer group '\(group)' sets \(key) twice; keep one.")
                }
                pairs.append((key, value))
            }
            guard !pairs.isEmpty else {
                throw ConfigError("per_layer group '\(group)' sets nothing after ':'; give it KEY=VALUE settings, e.g. bits=8.")
            }
            out.append((patterns, pairs))
        }
        return out
    }

    public var config: [String: ConfigValue] {
        var config = base.config
        config["per_layer"] = .string(recipe)
        for (i, group) in groups.enumerated() {
            let own = group.method.config
            config["per_layer.\(i + 1).layers"] = .string(group.patterns.joined(separator: "|"))
            for (key, value) in group.settings { config["per_layer.\(i + 1).\(key)"] = own[key] ?? .string(value) }
        }
        return config
    }

    public var modelPaths: [String] { base.modelPaths }

    public func checkTransformerSupport() throws {
        try base.checkTransformerSupport()
        for group in groups { try group.method.checkTransformerSupport() }
    }

    /// Each run of the method in order: (label, method), the groups then the rest (nil when
    /// the groups cover the whole selection). Throws for a pattern matching nothing or an overlap.
    public func parts(for model: Model) throws -> [(label: String, method: Method)] {
        let known = model.layers.map(\.name)
        var owner: [String: String] = [:]
        for group in groups {
            for pattern in group.patterns {
                let matches = known.filter { globMatches(pattern, $0) }
                guard !matches.isEmpty else {
                    throw ConfigError("per_layer: the pattern '\(pattern)' matches no layer (its layers: \(LayerSelection.summary(of: known))).")
                }
                for path in matches {
                    if let other = owner[path], other != pattern {
                        throw ConfigError("per_layer: layer \(path) matches both '\(other)' and '\(pattern)'; make the patterns disjoint so each layer has one setting.")
                    }
                    owner[path] = pattern
                }
            }
        }
        var out = groups.map { (label: $0.patterns.joined(separator: "|"), method: $0.method) }
        let names = baseSettings["layers"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let selection = try LayerSelection(names: names).paths(in: known, defaults: model.defaultLayerNames, method: Method.name)
        let rest = selection.filter { owner[$0] == nil }
        if !rest.isEmpty {
            var values = baseSettings
            values["layers"] = rest.joined(separator: ",")
            out.append((label: "rest", method: try Method(settings: Settings(method: Method.name, values: values))))
        }
        return out
    }

    public func validate(_ model: Model, context: CompressionContext) throws {
        for part in try parts(for: model) { try part.method.validate(model, context: context) }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let parts = try parts(for: model)
        var current = model
        var notes: [String] = []
        var extras: [[String: Double]] = []
        var curves: [(key: String, step: Int, value: Double)] = []
        for (i, part) in parts.enumerated() {
            var inner = context
            let progress = context.progress, n = Double(parts.count)
            inner.progress = { f, label in progress((Double(i) + f) / n, "[\(part.label)] \(label)") }
            let result = try part.method.compress(current, context: inner)
            current = result.model
            notes += result.notes.map { "[\(part.label)] \($0)" }
            extras.append(result.extraMetrics)
            curves += result.curves
        }
        // A metric one part reports keeps its name; one several report gets a suffix per part
        // (`_g1`, `_g2`, … in the order of `parts`, the rest last), as a sum would mislead.
        var extra: [String: Double] = [:]
        for (i, metrics) in extras.enumerated() {
            for (key, value) in metrics {
                let shared = extras.filter { $0[key] != nil }.count > 1
                extra[shared ? "\(key)_g\(i + 1)" : key] = value
            }
        }
        notes.append("per_layer: \(parts.enumerated().map { "g\($0.offset + 1) = \($0.element.label)" }.joined(separator: ", ")).")
        return CompressionResult(model: current, notes: notes, extraMetrics: extra, curves: curves)
    }
}

public enum PerLayerHelp {
    /// The grammar in a few lines, for `pare methods` and `pare record --help`.
    public static let text = """
    Per-layer settings, for any one-shot method that takes layers=:
      --set 'per_layer=PATTERNS:KEY=VALUE[,KEY=VALUE…][;PATTERNS:…]'
    PATTERNS: a glob over the Linear paths (as layers=), or several
    joined by '|'. A group's settings override the other --set values
    for the layers it matches; the rest of the method's selection gets
    the other values. The method runs once per group, in order, then on
    the rest. Recorded as per_layer, per_layer.N.layers and
    per_layer.N.KEY (shown by pare show). Example:
      --method quant-weight --set 'per_layer=*.self_attn.*:bits=8;*.mlp.*:bits=4'
    Errors before anything runs: a pattern matching nothing, a key the
    method does not take, layers= in a group, a layer in two groups.
    """
}
