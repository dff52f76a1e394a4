import GRDB

/// What rebuilding a run's model needs besides its tensors.
public struct RunModelInfo: Sendable {
    public var status: String
    public var error: String?
    /// The base model's architecture JSON as recorded (`models.arch`), e.g. {"arch":"mlp","dims":[…],"act":"relu"}.
    public var baseArchJSON: String?
    public var baseModelHash: String?
    public var baseModelName: String?

    public init(status: String, error: String?, baseArchJSON: String?, baseModelHash: String?, baseModelName: String?) {
        self.status = status
        self.error = error
        self.baseArchJSON = baseArchJSON
        self.baseModelHash = baseModelHash
        self.baseModelName = baseModelName
    }
}

extension Store {
    /// The run's status and base-model architecture (`queries/run_base_model.sql`).
    public func modelInfo(run id: Int64) throws -> RunModelInfo {
        try read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: SQLText.query("run_base_model")), arguments: ["run_id": id])
            else { throw try Store.unknownRun(db, id) }
            return RunModelInfo(status: row["status"], error: row["error"], baseArchJSON: row["arch"],
                                baseModelHash: row["base_model_hash"], baseModelName: row["model_name"])
        }
    }
}
