import Foundation
import Testing

/// `pare import mlflow` end to end: a good import prints one summary line; a file that is not
/// MLflow's is one sentence, exit 1, the database as it was.
@Suite struct MLflowImportCLITests {
    static let trackingDB = CLI.fixture("mlflow/mlflow.db")

    @Test func aFileThatIsNotMLflowsIsRefused() throws {
        let cli = CLI()
        let first = try cli.run(["import", "mlflow", "--tracking-db", Self.trackingDB, "--experiment", "sweep-b"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "imported 2 runs from MLflow experiment 'sweep-b' (1 still running, skipped)\n")
        let before = try cli.fingerprint()

        for notMLflow in [CLI.fixture("digits_test.csv"), cli.db] {
            let result = try cli.run(["import", "mlflow", "--tracking-db", notMLflow])
            #expect(result.status == 1)
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(message.hasPrefix("error: \(notMLflow) is not an MLflow tracking database ("), "\(message)")
            #expect(!message.contains("\n"), "one line: \(message)")
            #expect(result.stdout.isEmpty)
            #expect(try cli.fingerprint() == before)
        }
        let both = try cli.run(["import", "mlflow", "--tracking-db", Self.trackingDB, "--mlruns", CLI.fixture("mlflow/mlruns")])
        #expect(both.status == 64)
        #expect(try cli.fingerprint() == before)
    }
}
