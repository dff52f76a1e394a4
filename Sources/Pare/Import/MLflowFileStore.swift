import Foundation
import PareStore

/// MLflow's file store (an `mlruns/` folder), read for `pare import mlflow --mlruns`:
///
///     EXP_ID/meta.yaml                 name, lifecycle_stage
///     EXP_ID/RUN_ID/meta.yaml          run_id, run_name, status (1…5), start_time, end_time, lifecycle_stage
///     EXP_ID/RUN_ID/params/KEY         the value as text
///     EXP_ID/RUN_ID/metrics/KEY        one line per point: "TIMESTAMP VALUE STEP"
///     EXP_ID/RUN_ID/tags/KEY           the value as text
///
/// A key with a slash ("opt/lr") is a subfolder. `.trash` (deleted experiments) and `models`
/// (the model registry) are not experiments. Read only; nothing in the folder is written.
public struct MLflowFileStore: Sendable {
    public let root: String

    /// Checks that `root` is a folder holding at least one experiment (`*/meta.yaml`).
    public init(root: String) throws {
        self.root = root
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw MLflowError.missing(path: root, what: "MLflow file store")
        }
        guard isDirectory.boolValue else { throw MLflowError.notFileStore(path: root, reason: "it is a file, not a folder") }
        if try experimentFolders().isEmpty {
            throw MLflowError.notFileStore(path: root, reason: "no experiment folder with a meta.yaml in it")
        }
    }

    /// The names of the live experiments, in folder order.
    public func experiments() throws -> [String] {
        try liveExperiments().map(\.name)
    }

    /// The live runs of the experiment named `experiment`, or of every live experiment when nil,
    /// ordered by start time (as the SQLite store's reader orders them).
    public func runs(experiment: String?) throws -> [MLflowRun] {
        let all = try liveExperiments()
        let chosen = experiment.map { name in all.filter { $0.name == name } } ?? all
        if let experiment, chosen.isEmpty { throw MLflowError.unknownExperiment(experiment, known: all.map(\.name)) }
        var runs: [MLflowRun] = []
        for exp in chosen {
            for folder in try subfolders(exp.folder) {
                let meta = folder.appending(path: "meta.yaml")
                guard FileManager.default.fileExists(atPath: meta.path) else { continue }
                if let run = try readRun(at: folder, meta: try Self.yaml(at: meta), experiment: exp.name) { runs.append(run) }
            }
        }
        return runs.sorted { ($0.startTime ?? .min, $0.id) < ($1.startTime ?? .min, $1.id) }
    }

    // MARK: Reading

    private func liveExperiments() throws -> [(folder: URL, name: String)] {
        try experimentFolders().compactMap { folder in
            let meta = try Self.yaml(at: folder.appending(path: "meta.yaml"))
            guard (meta["lifecycle_stage"] ?? "active") == "active" else { return nil }
            guard let name = meta["name"] else {
                throw MLflowError.badFile(path: folder.appending(path: "meta.yaml").path, reason: "it has no name")
            }
            return (folder: folder, name: name)
        }
    }

    /// Every `ID/` with a meta.yaml, sorted by name; `.trash` and `models` are not experiments.
    private func experimentFolders() throws -> [URL] {
        try subfolders(URL(fileURLWithPath: root)).filter {
            $0.lastPathComponent != "models" && FileManager.default.fileExists(atPath: $0.appending(path: "meta.yaml").path)
        }
    }

    private func readRun(at folder: URL, meta: [String: String], experiment: String) throws -> MLflowRun? {
        let metaPath = folder.appending(path: "meta.yaml").path
        guard (meta["lifecycle_stage"] ?? "active") == "active" else { return nil }
        let id = meta["run_id"] ?? meta["run_uuid"] ?? folder.lastPathComponent
        guard let code = meta["status"].flatMap({ Int($0) }), let status = MLflowRunStatus(fileStoreCode: code) else {
            throw MLflowError.badFile(path: metaPath, reason: "its status is not one of 1…5")
        }
        func time(_ key: String) throws -> Int64? {
            guard let text = meta[key] else { return nil }
            guard let ms = Int64(text) else { throw MLflowError.badFile(path: metaPath, reason: "\(key) '\(text)' is not a number") }
            return ms
        }
        var metrics: [MLflowMetricPoint] = []
        for (key, file) in try keyedFiles(folder.appending(path: "metrics")) {
            metrics += try Self.metricPoints(key: key, text: try Self.text(file), path: file.path)
        }
        let name = meta["run_name"]
        return MLflowRun(id: id, experiment: experiment, name: name?.isEmpty == false ? name : nil, status: status,
                         startTime: try time("start_time"), endTime: try time("end_time"),
                         params: try values(folder.appending(path: "params")), metrics: metrics,
                         tags: try values(folder.appending(path: "tags")))
    }

    /// `KEY` files (a key with slashes is nested folders) → their text, exactly as written.
    private func values(_ folder: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, file) in try keyedFiles(folder) { out[key] = try Self.text(file) }
        return out
    }

    /// Every file under `folder` keyed by its path relative to it; none when it is absent
    /// (git and MLflow both leave out empty folders).
    private func keyedFiles(_ folder: URL, prefix: String = "") throws -> [(key: String, file: URL)] {
        var out: [(key: String, file: URL)] = []
        for entry in try entries(folder) {
            let key = prefix + entry.lastPathComponent
            if isFolder(entry) { out += try keyedFiles(entry, prefix: key + "/") } else { out.append((key: key, file: entry)) }
        }
        return out
    }

    private func subfolders(_ folder: URL) throws -> [URL] {
        try entries(folder).filter { !$0.lastPathComponent.hasPrefix(".") && isFolder($0) }
    }

    private func entries(_ folder: URL) throws -> [URL] {
        guard isFolder(folder) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey])
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw MLflowError.notFileStore(path: folder.path, reason: "the folder cannot be listed")
        }
    }

    private func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func text(_ file: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw MLflowError.badFile(path: file.path, reason: "it cannot be read as UTF-8 text")
        }
        return text
    }

    /// A metric file's lines, "TIMESTAMP VALUE STEP" (MLflow before 1.0 wrote no step: 0).
    /// VALUE is Python's repr of a float, so also "nan", "inf", "-inf".
    static func metricPoints(key: String, text: String, path: String) throws -> [MLflowMetricPoint] {
        var points: [MLflowMetricPoint] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ")
            if fields.isEmpty { continue }
            guard fields.count >= 2, let timestamp = Int64(fields[0]), let value = Double(fields[1]),
                  let step = fields.count >= 3 ? Int64(fields[2]) : 0
            else { throw MLflowError.badFile(path: path, reason: "line \(number + 1) is not 'TIMESTAMP VALUE STEP'") }
            points.append(MLflowMetricPoint(key: key, value: value, timestamp: timestamp, step: step))
        }
        return points
    }

    static func yaml(at url: URL) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw MLflowError.badFile(path: url.path, reason: "it cannot be read")
        }
        return try MLflowMetaYAML.parse(text, path: url.path)
    }
}

/// The YAML MLflow's file store writes for meta.yaml (PyYAML `safe_dump`, block style): one
/// `key: value` per line, a value plain, 'single-quoted' ('' for a quote) or "double-quoted"
/// (backslash escapes), `null`/`~` for none, a long value folded onto indented lines. Lists
/// (`tags: []`, `- item`) are skipped: MLflow keeps nothing Pare reads in them.
enum MLflowMetaYAML {
    static func parse(_ text: String, path: String) throws -> [String: String] {
        // Join a folded value's continuation lines (indented) to their key's line.
        var logical: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                if !line.trimmingCharacters(in: .whitespaces).hasPrefix("-"), let last = logical.popLast() {
                    logical.append(last + " " + line.trimmingCharacters(in: .whitespaces))
                }
            } else if !line.hasPrefix("-") && !line.hasPrefix("#") {
                logical.append(String(line))
            }
        }
        var out: [String: String] = [:]
        for line in logical {
            guard let colon = line.range(of: ":") else {
                throw MLflowError.badFile(path: path, reason: "the line '\(line)' is not 'key: value'")
            }
            let key = String(line[..<colon.lowerBound])
            let raw = line[colon.upperBound...].trimmingCharacters(in: .whitespaces)
            out[key] = try value(raw, path: path)  // null: absent
        }
        return out
    }

    static func value(_ raw: String, path: String) throws -> String? {
        if raw == "null" || raw == "~" || raw.isEmpty { return nil }
        if raw.hasPrefix("'") {
            guard raw.count >= 2, raw.hasSuffix("'") else { throw MLflowError.badFile(path: path, reason: "an unclosed quote in \(raw)") }
            return String(raw.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        if raw.hasPrefix("\"") {
            guard raw.count >= 2, raw.hasSuffix("\"") else { throw MLflowError.badFile(path: path, reason: "an unclosed quote in \(raw)") }
            var out = "", escaped = false
            for c in raw.dropFirst().dropLast() {
                if escaped {
                    switch c {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    default: out.append("\\"); out.append(c)
                    }
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else {
                    out.append(c)
                }
            }
            return out
        }
        return raw
    }
}
