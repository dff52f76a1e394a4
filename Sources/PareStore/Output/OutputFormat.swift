import Foundation

/// `--format table|csv|json` on every tabular verb.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json
}

extension ResultTable {
    /// The whole table in one format (table, CSV with LF endings, or a JSON array of objects).
    public func rendered(as format: OutputFormat) throws -> String {
        switch format {
        case .table:
            return TextTable.render(self)
        case .csv:
            var w = CSVWriter()
            try write(to: &w)
            return w.output
        case .json:
            var w = JSONWriter()
            try write(to: &w)
            return w.output
        }
    }
}

/// A `TextOutputStream` over a `FileHandle` (stdout, a file), buffered in 64 KiB chunks.
/// Call `flush()` when done (the streaming writers' callers do).
public final class FileHandleOutputStream: TextOutputStream {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let capacity: Int

    public init(_ handle: FileHandle, capacity: Int = 1 << 16) {
        self.handle = handle
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    public func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= capacity { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Streams rows into a `FileHandleOutputStream` in a given format; `table` cannot stream
/// (its widths depend on every row), so it collects and renders at `end()`.
public struct StreamingSink: TableSink {
    private enum Writer {
        case csv(CSVWriter<FileHandleOutputStream>)
        case json(JSONWriter<FileHandleOutputStream>)
        case table(TableCollector, FileHandleOutputStream)
    }
    private var writer: Writer

    public init(format: OutputFormat, output: FileHandleOutputStream) {
        switch format {
        case .csv: writer = .csv(CSVWriter(to: output))
        case .json: writer = .json(JSONWriter(to: output))
        case .table: writer = .table(TableCollector(), output)
        }
    }

    public mutating func begin(columns: [String]) throws {
        switch writer {
        case .csv(var w): w.begin(columns: columns); writer = .csv(w)
        case .json(var w): w.begin(columns: columns); writer = .json(w)
        case .table(var c, let o): c.begin(columns: columns); writer = .table(c, o)
        }
    }

    public mutating func row(_ values: [TableValue]) throws {
        switch writer {
        case .csv(var w): w.row(values); writer = .csv(w)
        case .json(var w): w.row(values); writer = .json(w)
        case .table(var c, let o): c.row(values); writer = .table(c, o)
        }
    }

    public mutating func end() throws {
        switch writer {
        case .csv(var w): w.end(); w.output.flush()
        case .json(var w): w.end(); w.output.flush()
        case .table(let c, let o): o.write(TextTable.render(c.table)); o.flush()
        }
    }
}
