import Foundation
import PareTensor

extension Dataset {
    /// Reads a CSV file: a header row with a column named exactly `label` (anywhere), every other
    /// column a Float32 feature. Blank lines are skipped; CRLF line ends, a UTF-8 byte-order mark
    /// and double quotes around a cell are accepted. `classCount` is the largest label + 1.
    /// Throws `DatasetError` naming file, line and column on any bad input.
    ///
    /// The parser works on raw bytes (one `strtof` per cell, no per-cell strings), so a
    /// 60 000 × 784 file (~110 MB) loads in a few seconds in a release build.
    public static func loadCSV(url: URL, name: String? = nil) throws -> Dataset {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.fileNotFound(file: path) }
        let data: Data
        do {
            try InputFile.check(path)
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: path, reason: InputFile.reason(error))
        }
        // One NUL past the end: strtof never reads beyond the buffer.
        var bytes = [UInt8](repeating: 0, count: data.count + 1)
        bytes.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        let datasetName = name ?? url.deletingPathExtension().lastPathComponent
        return try parseCSV(nulTerminated: bytes, file: path, name: datasetName)
    }

    /// Parses CSV text already in memory (tests, or data that did not come from a file).
    public static func parseCSV(_ text: String, file: String = "<memory>", name: String = "memory") throws -> Dataset {
        var bytes = Array(text.utf8)
        bytes.append(0)
        return try parseCSV(nulTerminated: bytes, file: file, name: name)
    }

    /// `bytes` ends with one NUL that is not part of the text.
    static func parseCSV(nulTerminated bytes: [UInt8], file: String, name: String) throws -> Dataset {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = CSVParser(base: buffer.baseAddress!, count: buffer.count - 1, file: file)
            let (features, labels, columns) = try parser.parse()
            let classCount = (labels.max() ?? -1) + 1
            return Dataset(name: name, features: Tensor(shape: [labels.count, columns], data: features),
                           labels: labels, classCount: classCount)
        }
    }
}

private let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
private let quote = UInt8(ascii: "\""), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

private struct CSVParser {
    let base: UnsafePointer<UInt8>
    let count: Int
    let file: String
    var position = 0
    var line = 0

    init(base: UnsafePointer<UInt8>, count: Int, file: String) {
        self.base = base
        self.count = count
        self.file = file
    }

    /// End (exclusive) of the line starting at `start`, without its "\r\n" / "\n".
    func lineEnd(from start: Int) -> (contentEnd: Int, next: Int) {
        var i = start
        while i < count && base[i] != newline { i += 1 }
        let next = i < count ? i + 1 : i
        var end = i
        if end > start && base[end - 1] == carriageReturn { end -= 1 }
        return (end, next)
    }

    /// The cell's bytes without surrounding blanks and double quotes.
    func trimmed(_ start: Int, _ end: Int) -> (Int, Int) {
        var s = start, e = end
        while s < e && (base[s] == space || base[s] == tab) { s += 1 }
        while e > s && (base[e - 1] == space || base[e - 1] == tab) { e -= 1 }
        if e - s >= 2 && base[s] == quote && base[e - 1] == quote { s += 1; e -= 1 }
        return (s, e)
    }

    func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: max(0, end - start)), as: UTF8.self)
    }

    func isBlank(_ start: Int, _ end: Int) -> Bool {
        (start..<end).allSatisfy { base[$0] == space || base[$0] == tab }
    }

    mutating func parse() throws -> (features: [Float], labels: [Int], columns: Int) {
        if count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { position = 3 }
        // Header: the first non-blank line.
        var header: [String] = []
        while position < count {
            let (end, next) = lineEnd(from: position)
            line += 1
            defer { position = next }
            if isBlank(position, end) { continue }
            var cellStart = position
            for i in position...end where i == end || base[i] == comma {
                let (s, e) = trimmed(cellStart, i)
                header.append(text(s, e))
                cellStart = i + 1
            }
            break
        }
        guard !header.isEmpty else { throw DatasetError.emptyFile(file: file) }
        let labelColumns = header.indices.filter { header[$0] == "label" }
        guard let labelColumn = labelColumns.first else { throw DatasetError.noLabelColumn(file: file) }
        guard labelColumns.count == 1 else { throw DatasetError.duplicateLabelColumn(file: file) }
        let columns = header.count
        let featureCount = columns - 1
        guard featureCount > 0 else { throw DatasetError.noFeatureColumns(file: file) }

        // Reserve for the rows still to come (one per remaining newline, roughly).
        var remainingLines = 1
        for i in position..<count where base[i] == newline { remainingLines += 1 }
        var features: [Float] = []
        features.reserveCapacity(remainingLines * featureCount)
        var labels: [Int] = []
        labels.reserveCapacity(remainingLines)

        var endPointer: UnsafeMutablePointer<CChar>? = nil
        while position < count {
            let (end, next) = lineEnd(from: position)
            line += 1
            defer { position = next }
            if isBlank(position, end) { continue }
            var cellStart = position
            var column = 0
            var i = position
            while true {
                // Find the end of this cell.
                var cellEnd = i
                while cellEnd < end && base[cellEnd] != comma { cellEnd += 1 }
                guard column < columns else {
                    throw DatasetError.wrongCellCount(file: file, line: line, expected: columns,
                                                      found: cellCount(position, end))
                }
                let (s, e) = trimmed(cellStart, cellEnd)
                if column == labelColumn {
                    labels.append(try parseLabel(s, e, column: column))
                } else {
                    guard e > s else {
                        throw DatasetError.nonNumeric(file: file, line: line, column: column + 1,
                                                      columnName: header[column], cell: "")
                    }
                    let value = (UnsafeRawPointer(base + s)).withMemoryRebound(to: CChar.self, capacity: 1) {
                        strtof($0, &endPointer)
                    }
                    let parsedEnd = UnsafeRawPointer(endPointer!) - UnsafeRawPointer(base)
                    guard parsedEnd == e else {
                        throw DatasetError.nonNumeric(file: file, line: line, column: column + 1,
                                                      columnName: header[column], cell: text(s, e))
                    }
                    guard value.isFinite else {
                        let wide = (UnsafeRawPointer(base + s)).withMemoryRebound(to: CChar.self, capacity: 1) { strtod($0, nil) }
                        if wide.isFinite {
                            throw DatasetError.outOfFloat32Range(file: file, line: line, column: column + 1,
                                                                 columnName: header[column], cell: text(s, e))
                        }
                        throw DatasetError.notFinite(file: file, line: line, column: column + 1,
                                                     columnName: header[column], cell: text(s, e))
                    }
                    features.append(value)
                }
                column += 1
                if cellEnd >= end { break }
                i = cellEnd + 1
                cellStart = i
            }
            guard column == columns else {
                throw DatasetError.wrongCellCount(file: file, line: line, expected: columns, found: column)
            }
        }
        guard !labels.isEmpty else { throw DatasetError.noDataRows(file: file) }
        return (features, labels, featureCount)
    }

    func cellCount(_ start: Int, _ end: Int) -> Int {
        var n = 1
        for i in start..<end where base[i] == comma { n += 1 }
        return n
    }

    /// A class index: digits only, or an integral number such as "3.0" (pandas writes those).
    func parseLabel(_ s: Int, _ e: Int, column: Int) throws -> Int {
        let bad = DatasetError.badLabel(file: file, line: line, column: column + 1, cell: text(s, e))
        guard e > s else { throw bad }
        var value = 0
        var allDigits = true
        for i in s..<e {
            let b = base[i]
            guard b >= 48 && b <= 57 else { allDigits = false; break }
            value = value * 10 + Int(b - 48)
            if value > 1 << 24 { throw bad }
        }
        if allDigits { return value }
        var endPointer: UnsafeMutablePointer<CChar>? = nil
        let d = (UnsafeRawPointer(base + s)).withMemoryRebound(to: CChar.self, capacity: 1) { strtod($0, &endPointer) }
        let parsedEnd = UnsafeRawPointer(endPointer!) - UnsafeRawPointer(base)
        guard parsedEnd == e, d.isFinite, d >= 0, d == d.rounded(), d <= Double(1 << 24) else { throw bad }
        return Int(d)
    }
}
