import ArgumentParser
import Foundation
import Pare

/// `pare import`: runs recorded by another tracker, brought into Pare's record.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import runs from another tracker (MLflow).",
        subcommands: [ImportMLflow.self]
    )
}

struct ImportMLflow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlflow",
        abstract: "Import the runs of an MLflow tracking store (its SQLite database or an mlruns folder).",
        discussion: """
        Each finished run becomes a Pare run (source mlflow, uid mlflow:RUN_ID); importing again \
        records only runs not imported before. FAILED and KILLED runs are recorded as failed; \
        RUNNING and SCHEDULED runs are skipped until they end. The method is the MLflow param \
        `method`, else the tag `pare.method`, else "mlflow". Params are typed (4 an integer, 0.5 a \
        number, True a boolean, else text); each metric's latest value is its final value, and a \
        metric logged at several steps is also a curve (MLflow step s is Pare step s+1). Tags are \
        kept, mlflow.* included; the name is the tag mlflow.runName. The MLflow store is only read.
        Example: pare import mlflow --tracking-db mlflow.db --experiment sweep-a
        """
    )

    @Option(name: .customLong("tracking-db"),
            help: ArgumentHelp("MLflow's SQLite backend store (the FILE of --backend-store-uri sqlite:///FILE).", valueName: "file"))
    var trackingDB: String?
    @Option(help: ArgumentHelp("MLflow's file store: the mlruns folder.", valueName: "dir"))
    var mlruns: String?
    @Option(help: ArgumentHelp("Only this MLflow experiment (default: every experiment with runs).", valueName: "name"))
    var experiment: String?
    @Option(name: .customLong("into-experiment"),
            help: ArgumentHelp("The Pare experiment to record into (default: each run's MLflow experiment name).",
                              valueName: "name"))
    var intoExperiment: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let source: MLflowImport.Source
            switch (trackingDB, mlruns) {
            case let (path?, nil): source = .trackingDB(path)
            case let (nil, folder?): source = .mlruns(folder)
            default: throw UsageError("give exactly one of --tracking-db FILE (MLflow's SQLite store) or --mlruns DIR (its file store).")
            }
            if intoExperiment?.isEmpty == true { throw UsageError("--into-experiment needs a name.") }
            let summary = try MLflowImport.run(source, experiment: experiment, intoExperiment: intoExperiment) {
                try database.openRecorder()
            }
            printOut(summary.line + "\n")
        }
    }
}
