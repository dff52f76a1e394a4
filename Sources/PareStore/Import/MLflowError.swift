/// Why an MLflow store could not be imported, as one sentence a user can act on.
public enum MLflowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing at the path.
    case missing(path: String, what: String)
    /// The file is not MLflow's SQLite backend store.
    case notTrackingDB(path: String, reason: String)
    /// An MLflow database whose alembic revision this Pare has never read.
    case unknownSchema(path: String, version: String, known: [String])
    /// The folder is not MLflow's file store (`mlruns/`).
    case notFileStore(path: String, reason: String)
    /// A file inside `mlruns/` that is not what MLflow writes there.
    case badFile(path: String, reason: String)
    /// `--experiment` named no live experiment.
    case unknownExperiment(String, known: [String])

    public var description: String {
        switch self {
        case let .missing(path, what):
            "no \(what) at \(path); check the path"
        case let .notTrackingDB(path, reason):
            "\(path) is not an MLflow tracking database (\(reason)); pass the SQLite file of MLflow's "
                + "--backend-store-uri sqlite:///FILE, or use --mlruns for a file store"
        case let .unknownSchema(path, version, known):
            "\(path) has MLflow schema version \(version), which this pare does not know (it reads "
                + "\(known.joined(separator: ", "))); import it with a pare that lists that version"
        case let .notFileStore(path, reason):
            "\(path) is not an MLflow file store (\(reason)); pass the mlruns folder MLflow wrote, or use --tracking-db for a SQLite store"
        case let .badFile(path, reason):
            "\(path) is not as MLflow writes it (\(reason)); fix or remove that file"
        case let .unknownExperiment(name, known):
            "no MLflow experiment named '\(name)'"
                + (known.isEmpty ? " (the store has none)" : " (the store has \(known.map { "'\($0)'" }.joined(separator: ", ")))")
        }
    }
}
