/// Why a dataset could not be read or used: one sentence naming the file, the line (1-based,
/// the header is line 1) and the column where it went wrong, and what to do about it.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileNotFound(file: String)
    case unreadable(file: String, reason: String)
    case emptyFile(file: String)
    case noDataRows(file: String)
    case noLabelColumn(file: String)
    case duplicateLabelColumn(file: String)
    case noFeatureColumns(file: String)
    case wrongCellCount(file: String, line: Int, expected: Int, found: Int)
    case nonNumeric(file: String, line: Int, column: Int, columnName: String, cell: String)
    case notFinite(file: String, line: Int, column: Int, columnName: String, cell: String)
    case outOfFloat32Range(file: String, line: Int, column: Int, columnName: String, cell: String)
    case badLabel(file: String, line: Int, column: Int, cell: String)
    case invalidSplit(dataset: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let f):
            "Dataset file '\(f)' does not exist."
        case .unreadable(let f, let reason):
            "Dataset file '\(f)' could not be read: \(reason)."
        case .emptyFile(let f):
            "Dataset file '\(f)' is empty; expected a CSV header row with a 'label' column."
        case .noDataRows(let f):
            "Dataset file '\(f)' has a header but no data rows."
        case .noLabelColumn(let f):
            "Dataset file '\(f)' has no 'label' column in its header (line 1); name the class column exactly 'label'."
        case .duplicateLabelColumn(let f):
            "Dataset file '\(f)' has more than one 'label' column in its header (line 1)."
        case .noFeatureColumns(let f):
            "Dataset file '\(f)' has only a 'label' column and no feature columns."
        case .wrongCellCount(let f, let line, let expected, let found):
            "Dataset file '\(f)' line \(line) has \(found) cells, but the header has \(expected) columns."
        case .nonNumeric(let f, let line, let column, let name, let cell):
            "Dataset file '\(f)' line \(line) column \(column) ('\(name)') is not a number: '\(cell)'."
        case .notFinite(let f, let line, let column, let name, let cell):
            "Dataset file '\(f)' line \(line) column \(column) ('\(name)') is not finite: '\(cell)'; NaN and Inf are not allowed."
        case .outOfFloat32Range(let f, let line, let column, let name, let cell):
            "Dataset file '\(f)' line \(line) column \(column) ('\(name)') is '\(cell)', beyond the ±3.4e38 range of the 32-bit floats features are stored as."
        case .badLabel(let f, let line, let column, let cell):
            "Dataset file '\(f)' line \(line) column \(column) ('label') is not a non-negative integer class: '\(cell)'."
        case .invalidSplit(let name, let reason):
            "Dataset '\(name)' cannot be split: \(reason)."
        }
    }
}
