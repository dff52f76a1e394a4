/// JSON: one array of objects (column → value), written one object per line as rows arrive,
/// so an export streams in constant memory and the whole output is still one valid JSON
/// document. Numbers keep full precision; NaN and ±Inf (not JSON) become null, as does NULL.
public struct JSONWriter<Output: TextOutputStream>: TableSink {
    public var output: Output
    private var columns: [String] = []
    private var count = 0

    public init(to output: Output) { self.output = output }

    public mutating func begin(columns: [String]) {
        self.columns = columns.map(JSONFormat.string)
        count = 0
        output.write("[")
    }

    public mutating func row(_ values: [TableValue]) {
        var s = count == 0 ? "\n{" : ",\n{"
        for (i, v) in values.enumerated() {
            if i > 0 { s += ", " }
            s += columns[i] + ": " + JSONFormat.value(v)
        }
        s += "}"
        output.write(s)
        count += 1
    }

    public mutating func end() { output.write(count == 0 ? "]\n" : "\n]\n") }

}

/// The JSON spelling of keys and values.
enum JSONFormat {
    static func value(_ v: TableValue) -> String {
        switch v {
        case .null: "null"
        case .int(let i): String(i)
        case .double(let d): d.isFinite ? NumberText.full(d) : "null"
        case .text(let s): string(s)
        }
    }

    static func string(_ s: String) -> String {
        var out = ""
        CanonicalJSON.string(s, into: &out)
        return out
    }
}

extension JSONWriter where Output == String {
    public init() { self.init(to: "") }
}
