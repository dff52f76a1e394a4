import Foundation
import PareNN
import PareSQL
import PareStore
import PareTensor

/// `pare demo`: the whole job on bundled data. Splits the bundled digits, trains a
/// 64→256→128→10 teacher, then records the baseline and a spread of runs of every method
/// family. Its files are left in a folder beside the database so the README's tour can use them.
public enum Demo {
    public struct Plan: Sendable {
        public var method: String
        public var settings: [String: String]
        public var name: String
        public init(_ method: String, _ settings: [String: String] = [:], name: String) {
            self.method = method
            self.settings = settings
            self.name = name
        }
    }

    /// The runs the demo records, in order.
    public static let plans: [Plan] = [
        Plan("none", name: "baseline"),
        // Pruning, unstructured and structured.
        Plan("prune-magnitude", ["amount": "0.5"], name: "magnitude 50%"),
        Plan("prune-magnitude", ["amount": "0.8"], name: "magnitude 80%"),
        Plan("prune-magnitude", ["amount": "0.8", "scope": "global"], name: "magnitude 80% global"),
        Plan("prune-nm", ["n": "2", "m": "4"], name: "2:4 semi-structured"),
        Plan("prune-wanda", ["amount": "0.5"], name: "Wanda 50%"),
        Plan("prune-sparsegpt", ["amount": "0.8"], name: "SparseGPT 80%"),
        Plan("prune-structured", ["amount": "0.5", "norm": "2"], name: "neurons -50% (L2)"),
        Plan("prune-magnitude", ["amount": "0.9", "schedule": "agp"], name: "magnitude 90% AGP + fine-tune"),
        // Quantization: weight-only, GPTQ, weights and activations.
        Plan("quant-weight", ["bits": "8"], name: "int8 per-channel"),
        Plan("quant-weight", ["bits": "4", "granularity": "group", "group_size": "32"], name: "int4 group-32"),
        Plan("quant-weight", ["bits": "3"], name: "int3 per-channel"),
        Plan("quant-gptq", ["bits": "3"], name: "GPTQ int3"),
        Plan("quant-static", ["observer": "percentile"], name: "W8A8 static"),
        Plan("quant-dynamic", name: "W8A8 dynamic"),
        Plan("quant-smooth", ["alpha": "0.5"], name: "SmoothQuant W8A8"),
        Plan("quant-qat", ["bits": "4"], name: "QAT W4A8"),
        // Low-rank factorization.
        Plan("lowrank-svd", ["energy": "0.9"], name: "SVD 90% energy"),
        Plan("lowrank-svd", ["ratio": "0.1", "layers": "fc1,fc2", "finetune_epochs": "2"], name: "SVD ratio 0.1 + fine-tune"),
        // Distillation into a 64→32→10 student (its baseline, the student alone, is recorded too).
        Plan("distill", ["student": "mlp:64,32,10", "epochs": "30", "temperature": "2", "alpha": "0.5"],
             name: "distilled 64-32-10"),
    ]

    public struct Files: Sendable {
        public var folder: URL
        public var train: URL
        public var test: URL
        public var teacher: URL
    }

    /// Writes the bundled digits split 80/20 (seeded) into `folder`; none of its files may be
    /// one of `protected` (the database).
    public static func writeData(into folder: URL, seed: UInt64,
                                 protecting protected: [ProtectedPath] = []) throws -> (train: URL, test: URL) {
        guard let csv = EmbeddedSQL.dataFile("digits.csv") else {
            throw PareError("this build of pare carries no demo data (data/digits.csv was missing when it was built).")
        }
        try makeFolder(folder)
        let whole = folder.appending(path: "digits.csv")
        try OutputFile.write(Array(csv.utf8), to: whole.path, protecting: protected)
        let digits = try Dataset.loadCSV(url: whole, name: "digits.csv")
        let split = try digits.split(testFraction: 0.2, seed: seed)
        let train = folder.appending(path: "digits_train.csv")
        let test = folder.appending(path: "digits_test.csv")
        try OutputFile.write(Array(split.train.csvText(scale: 1.0 / 16).utf8), to: train.path, protecting: protected)
        try OutputFile.write(Array(split.test.csvText(scale: 1.0 / 16).utf8), to: test.path, protecting: protected)
        return (train, test)
    }

    /// Creates the demo's folder, or says in one sentence why it cannot.
    static func makeFolder(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PareError("cannot create the demo folder \(folder.path): a file of that name exists; move it or run the demo elsewhere.")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw PareError("cannot create the demo folder \(folder.path): \(OutputFile.describe(error)).")
        }
    }

    public static func prepareFiles(folder: URL, seed: UInt64, protecting protected: [ProtectedPath] = [],
                                    progress: @escaping (Double, String) -> Void) throws -> Files {
        let (train, test) = try writeData(into: folder, seed: seed, protecting: protected)
        let data = try RunData.load(train: train.path, test: test.path, calibration: nil, seed: seed)
        let config = TrainingConfig(epochs: 60, batchSize: 64, learningRate: 1e-3, seed: seed)
        let report = try TeacherTraining.train(arch: "mlp:64,256,128,10:relu", data: data, config: config, progress: progress)
        let teacher = folder.appending(path: "teacher.safetensors")
        try TeacherTraining.write(report.model, to: teacher, protecting: protected)
        return Files(folder: folder, train: train, test: test, teacher: teacher)
    }

    /// Records every plan against the demo's teacher; returns the run ids.
    public static func recordRuns(files: Files, store: Store, seed: UInt64, experiment: String = "demo",
                                  interrupts: InterruptGuard? = nil,
                                  progress: @escaping @Sendable (Double, String) -> Void) throws -> [Int64] {
        var ids: [Int64] = []
        for (index, plan) in plans.enumerated() {
            let request = RecordRequest(modelPath: files.teacher.path, trainPath: files.train.path,
                                        testPath: files.test.path, calibrationPath: files.train.path,
                                        method: plan.method, settings: plan.settings, name: plan.name,
                                        experiment: experiment, seed: seed)
            let prepared = try Recorder.prepare(request)
            let done = Double(index) / Double(plans.count)
            let id = try Recorder.record(prepared, store: store,
                                         progress: { fraction, label in progress(done + fraction / Double(plans.count), label) },
                                         onRunStarted: { interrupts?.track($0, in: store) })
            interrupts?.track(nil, in: nil)
            ids.append(id)
            progress(Double(index + 1) / Double(plans.count), plan.name)
        }
        return ids
    }
}

extension Dataset {
    /// The dataset as CSV (`label,p0,p1,…`), features multiplied by `scale`.
    func csvText(scale: Float = 1) -> String {
        var out = "label," + (0..<featureCount).map { "p\($0)" }.joined(separator: ",") + "\n"
        out.reserveCapacity(rowCount * featureCount * 6)
        for row in 0..<rowCount {
            out += String(labels[row])
            for column in 0..<featureCount {
                out += ","
                let value = features[row, column] * scale
                out += value == value.rounded() ? String(Int(value)) : String(value)
            }
            out += "\n"
        }
        return out
    }
}
