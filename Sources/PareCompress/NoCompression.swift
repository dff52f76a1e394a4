import PareNN
import PareTensor

/// `none`: the base model as it is, recorded so every leaderboard shows the reference.
public struct NoCompression: CompressionMethod {
    public static let name = "none"
    public static let summary = "the base model unchanged: the reference every run is compared with"

    public init(settings: Settings) throws {
        try settings.finish()
    }

    public var config: [String: ConfigValue] { [:] }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        CompressionResult(model: model)
    }
}
