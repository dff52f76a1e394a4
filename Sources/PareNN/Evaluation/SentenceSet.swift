import Foundation
import PareTensor

/// The data spec `sentences:FILE[,rows=N]` of an encoder's embeddings and probe: FILE's
/// sentences (the first N rows when given).
public struct SentenceSpec: Sendable, Equatable, Codable {
    public var path: String
    public var rows: Int?

    static let usage = "sentences:FILE[,rows=N] (a CSV or TSV with a 'text' column and an optional 'label' column; N the first rows to use)"

    public init(path: String, rows: Int? = nil) {
        self.path = path
        self.rows = rows
    }

    /// Parses `sentences:FILE[,rows=N]` (the `sentences:` prefix may be left out).
    public static func parse(_ spec: String) throws -> SentenceSpec {
        let parts = try DataSpec.parse(spec, kind: "sentences", keys: ["rows"], usage: usage)
        return SentenceSpec(path: parts.path, rows: parts.options["rows"])
    }

    /// The file name and the options given.
    public var name: String {
        URL(fileURLWithPath: path).lastPathComponent + (rows.map { ",rows=\($0)" } ?? "")
    }
}

/// Sentences, optionally labelled, for an encoder: read from a CSV or TSV file (TSV when the
/// header line has a tab; see `DelimitedText` for quoting) whose header names a `text` column
/// and optionally a `label` column, other columns ignored.
///
/// Labels: when every label is a non-negative whole number (`0`, `1`, `7`), they are those
/// class ids and `classNames` is nil; otherwise each distinct label string is a class, with ids
/// in sorted order of the strings (`neg` 0, `pos` 1) and `classNames[id]` its string.
public struct SentenceSet: Sendable, Equatable {
    public var spec: SentenceSpec
    public var name: String
    public var texts: [String]
    public var labels: [Int]?
    public var classNames: [String]?
    /// SHA-256 (hex) of: the row count as Int64 LE; each text as its UTF-8 byte count (Int64
    /// LE) then its bytes; with labels, a 1 byte then each label as Int64 LE, and with class
    /// names each as count then bytes (without labels a 0 byte). The file name is not part of it.
    public var contentHash: String

    /// The number of classes: the largest label + 1 (or the class names), nil without labels.
    public var classCount: Int? {
        guard let labels else { return nil }
        return classNames?.count ?? ((labels.max() ?? -1) + 1)
    }

    public init(spec: SentenceSpec, name: String? = nil, texts: [String], labels: [Int]?, classNames: [String]? = nil) {
        precondition(labels == nil || labels!.count == texts.count, "\(labels!.count) labels for \(texts.count) texts")
        self.spec = spec
        self.name = name ?? spec.name
        self.texts = texts
        self.labels = labels
        self.classNames = classNames
        func counted(_ s: String) -> [UInt8] { Bytes.of([Int64(s.utf8.count)]) + Array(s.utf8) }
        var h = SHA256.Hasher()
        h.update(Bytes.of([Int64(texts.count)]))
        for t in texts { h.update(counted(t)) }
        if let labels {
            h.update([1])
            h.update(Bytes.of(labels.map { Int64($0) }))
            for n in classNames ?? [] { h.update(counted(n)) }
        } else {
            h.update([0])
        }
        contentHash = h.finalizeHex()
    }

    /// Reads `spec.path`. Throws `EvaluationDataError` for an unreadable or empty file, a
    /// header without `text`, a row with the wrong number of fields or an empty label (naming
    /// the line), an unclosed quote, or no rows; `TokenizerError.invalidUTF8` naming the file
    /// when it is not UTF-8.
    public static func load(spec: SentenceSpec) throws -> SentenceSet {
        let text = try TokenizerText.string(fromUTF8: try readDataFile(spec.path), source: spec.path)
        return try parse(text, spec: spec)
    }

    /// Parses the text of a sentence file (`spec.path` names it in errors).
    public static func parse(_ text: String, spec: SentenceSpec) throws -> SentenceSet {
        let file = spec.path
        let (_, rows) = try DelimitedText.rows(text, file: file)
        guard let header = rows.first else { throw EvaluationDataError.emptyFile(file: file) }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for name in ["text", "label"] where names.filter({ $0 == name }).count > 1 {
            throw EvaluationDataError.duplicateColumn(file: file, column: name)
        }
        guard let textColumn = names.firstIndex(of: "text") else { throw EvaluationDataError.noTextColumn(file: file, header: names) }
        let labelColumn = names.firstIndex(of: "label")
        var body = rows.dropFirst()
        if let limit = spec.rows { body = body.prefix(limit) }
        guard !body.isEmpty else { throw EvaluationDataError.noRows(file: file) }
        var texts: [String] = [], rawLabels: [String] = []
        texts.reserveCapacity(body.count)
        for row in body {
            guard row.fields.count == names.count else {
                throw EvaluationDataError.wrongFieldCount(file: file, line: row.line, expected: names.count, found: row.fields.count)
            }
            texts.append(row.fields[textColumn])
            if let labelColumn {
                let label = row.fields[labelColumn].trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty else { throw EvaluationDataError.emptyLabel(file: file, line: row.line) }
                rawLabels.append(label)
            }
        }
        guard labelColumn != nil else { return SentenceSet(spec: spec, texts: texts, labels: nil) }
        let integers = rawLabels.map { $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) ? Int($0) : nil }
        if integers.allSatisfy({ $0 != nil }) {
            return SentenceSet(spec: spec, texts: texts, labels: integers.map { $0! })
        }
        let classNames = Array(Set(rawLabels)).sorted()
        let ids = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        return SentenceSet(spec: spec, texts: texts, labels: rawLabels.map { ids[$0]! }, classNames: classNames)
    }
}
