import Foundation
import PareTensor

/// The shared grammar of the evaluation data specs, `KIND:PATH[,key=N]…` (DESIGN.md's
/// `text:FILE,tokens=N,context=C`, `sentences:FILE,rows=N`): the path runs to the first comma
/// (so it cannot contain one), each option is a known key with a positive whole number.
/// The `KIND:` prefix may be left out when the caller has already dispatched on it.
struct DataSpec {
    let path: String
    let options: [String: Int]

    static func parse(_ spec: String, kind: String, keys: [String], usage: String) throws -> DataSpec {
        func bad(_ problem: String) -> EvaluationDataError { .badSpec(spec: spec, problem: problem, usage: usage) }
        var body = Substring(spec)
        if body.hasPrefix(kind + ":") { body = body.dropFirst(kind.count + 1) }
        let parts = body.split(separator: ",", omittingEmptySubsequences: false)
        let path = parts[0].trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty else { throw bad("names no file") }
        var options: [String: Int] = [:]
        for part in parts.dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pieces[0].trimmingCharacters(in: .whitespaces)
            guard pieces.count == 2 else { throw bad("has '\(part)', which is not key=value") }
            guard keys.contains(key) else {
                throw bad("has an unknown option '\(key)' (known: \(keys.joined(separator: ", ")))")
            }
            guard options[key] == nil else { throw bad("gives the option '\(key)' twice") }
            let text = pieces[1].trimmingCharacters(in: .whitespaces)
            guard let value = Int(text), value > 0 else {
                throw bad("gives \(key)='\(text)', which is not a positive whole number")
            }
            options[key] = value
        }
        return DataSpec(path: path, options: options)
    }
}

/// Reads a whole data file, turning every failure into `EvaluationDataError.unreadable`.
func readDataFile(_ path: String) throws -> [UInt8] {
    do {
        try InputFile.check(path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw EvaluationDataError.unreadable(file: path, reason: InputFile.reason(error))
    }
}
