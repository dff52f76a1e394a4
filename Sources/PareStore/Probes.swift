import GRDB

extension Store {
    /// The probe cached for a base model and a labelled training set (migrations/0005), as the
    /// JSON it was recorded with; nil when none was trained yet.
    public func probe(model: String, dataset: String) throws -> String? {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: SQLText.query("probe")),
                                arguments: ["model_hash": model, "dataset_hash": dataset])
        }
    }

    /// Keeps a probe for every later run on the same base model and dataset (both must be
    /// recorded already: a run that names them has written them). The first one stays.
    public func recordProbe(model: String, dataset: String, json: String, trainAccuracy: Double?) throws {
        try write { db in
            try db.cachedStatement(sql: SQLText.query("record_probe")).execute(arguments: [
                "model_hash": model, "dataset_hash": dataset, "probe": json, "train_accuracy": trainAccuracy,
            ])
        }
    }
}
