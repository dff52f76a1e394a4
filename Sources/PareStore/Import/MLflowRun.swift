/// One MLflow run as either of MLflow's stores holds it (the SQLite backend store or an
/// `mlruns/` folder), before it is mapped to a Pare run: both readers produce this, so both
/// stores import the same way.
public struct MLflowRun: Sendable {
    /// MLflow's run id (a 32-hex uuid).
    public var id: String
    /// The name of the MLflow experiment it belongs to.
    public var experiment: String
    /// The run's name (the `runs.name` column or meta.yaml's `run_name`); the tag
    /// `mlflow.runName`, when present, is the same.
    public var name: String?
    public var status: MLflowRunStatus
    /// Milliseconds since the epoch; nil when MLflow has none (an end time of a running run).
    public var startTime: Int64?
    public var endTime: Int64?
    /// As MLflow stores them: text.
    public var params: [String: String]
    /// Every point logged, sorted by key, step, timestamp, value.
    public var metrics: [MLflowMetricPoint]
    public var tags: [String: String]

    public init(id: String, experiment: String, name: String?, status: MLflowRunStatus, startTime: Int64?,
                endTime: Int64?, params: [String: String] = [:], metrics: [MLflowMetricPoint] = [],
                tags: [String: String] = [:]) {
        self.id = id; self.experiment = experiment; self.name = name; self.status = status
        self.startTime = startTime; self.endTime = endTime; self.params = params
        self.metrics = metrics.sorted(by: MLflowMetricPoint.storeOrder); self.tags = tags
    }
}

/// One logged value of a metric.
public struct MLflowMetricPoint: Sendable {
    public var key: String
    /// NaN where MLflow logged a NaN.
    public var value: Double
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var step: Int64

    public init(key: String, value: Double, timestamp: Int64, step: Int64) {
        self.key = key; self.value = value; self.timestamp = timestamp; self.step = step
    }

    /// The order both readers return points in (NaN before any number), so the two stores'
    /// runs compare point by point.
    static func storeOrder(_ a: MLflowMetricPoint, _ b: MLflowMetricPoint) -> Bool {
        if a.key != b.key { return a.key < b.key }
        if a.step != b.step { return a.step < b.step }
        if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
        return a.value.isNaN ? !b.value.isNaN : (!b.value.isNaN && a.value < b.value)
    }
}

/// MLflow's run status: the text the SQLite store keeps, and the enum the file store writes
/// as an integer in meta.yaml (mlflow/protos/service.proto `RunStatus`).
public enum MLflowRunStatus: String, Sendable, CaseIterable {
    case running = "RUNNING", scheduled = "SCHEDULED", finished = "FINISHED", failed = "FAILED", killed = "KILLED"

    /// meta.yaml's `status`: 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED.
    public init?(fileStoreCode code: Int) {
        let codes: [Int: MLflowRunStatus] = [1: .running, 2: .scheduled, 3: .finished, 4: .failed, 5: .killed]
        guard let status = codes[code] else { return nil }
        self = status
    }
}
