import PareTensor

/// A classification dataset held in memory: one row of features per sample and an integer
/// label in 0..<classCount.
public struct Dataset: Sendable {
    public var name: String
    public var features: Tensor      // [rows, featureCount]
    public var labels: [Int]
    public var classCount: Int

    public init(name: String, features: Tensor, labels: [Int], classCount: Int) {
        precondition(features.rows == labels.count, "\(features.rows) feature rows for \(labels.count) labels")
        self.name = name
        self.features = features
        self.labels = labels
        self.classCount = classCount
    }

    public var rowCount: Int { labels.count }
    public var featureCount: Int { features.columns }
}
