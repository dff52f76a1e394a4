/// One line of `pare log --from`: a JSON object of scalars and objects of scalars, parsed by
/// hand rather than with JSONSerialization/JSONDecoder because a logged run needs what those
/// hide — a number's type as written (`4` is an int param, `4.0` a real one), and keys given
/// twice (`{"bits": 4, "bits": 8}` is an error, not the last one silently winning) — and
/// because it runs once per line at thousands of lines a second.
indirect enum LogJSON: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([LogJSON])
    case object([(key: String, value: LogJSON)])

    static func == (a: LogJSON, b: LogJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: false
        }
    }

    /// What kind of value this is, for an error message ("a string", "an object").
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// Parses one JSON value filling all of `bytes` (whitespace around it allowed).
    static func parse(_ bytes: ArraySlice<UInt8>) throws(LogJSONError) -> LogJSON {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var i: Int

        init(bytes: ArraySlice<UInt8>) { self.bytes = bytes; i = bytes.startIndex }

        var atEnd: Bool { i >= bytes.endIndex }

        func error(_ what: String) -> LogJSONError {
            LogJSONError(description: "\(what) at column \(i - bytes.startIndex + 1)")
        }

        mutating func skipSpace() {
            while i < bytes.endIndex, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        mutating func value(depth: Int) throws(LogJSONError) -> LogJSON {
            guard depth < 32 else { throw error("JSON nested too deeply") }
            guard !atEnd else { throw error("the line ends where a value should be") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
            }
        }

        mutating func literal(_ word: StaticString) throws(LogJSONError) {
            let count = word.utf8CodeUnitCount
            guard bytes.endIndex - i >= count,
                  word.withUTF8Buffer({ buffer in buffer.elementsEqual(bytes[i..<(i + count)]) })
            else { throw error("unexpected word (JSON has true, false and null)") }
            i += count
        }

        mutating func object(depth: Int) throws(LogJSONError) -> LogJSON {
            i += 1
            var members: [(key: String, value: LogJSON)] = []
            var seen = Set<String>()
            skipSpace()
            if !atEnd, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard !atEnd, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                guard seen.insert(key).inserted else { throw error("key '\(key)' is given twice") }
                skipSpace()
                guard !atEnd, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after key '\(key)'") }
                i += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard !atEnd else { throw error("the line ends inside an object (a '}' is missing)") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(LogJSONError) -> LogJSON {
            i += 1
            var items: [LogJSON] = []
            skipSpace()
            if !atEnd, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard !atEnd else { throw error("the line ends inside a list (a ']' is missing)") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        }

        /// A number as written: without '.', 'e' or 'E' an integer (a real when it overflows Int).
        mutating func number() throws(LogJSONError) -> LogJSON {
            let start = i
            var isInteger = true
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < bytes.endIndex {
                let c = bytes[i]
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && !isInteger) {
                    isInteger = false; i += 1; continue
                }
                break
            }
            guard i > digits else { throw error("'-' is not followed by digits") }
            if bytes[digits] == UInt8(ascii: "0"), i - digits > 1, bytes[digits + 1] >= UInt8(ascii: "0"),
               bytes[digits + 1] <= UInt8(ascii: "9") {
                throw error("a number has a leading zero")
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if isInteger, let v = Int(text) { return .int(v) }
            guard let v = Double(text), v.isFinite else { throw error("'\(text)' is not a number") }
            return .double(v)
        }

        mutating func string() throws(LogJSONError) -> String {
            i += 1
            let start = i
            // The common case, no escapes: one copy of the bytes.
            while i < bytes.endIndex, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
                if bytes[i] < 0x20 { throw error("a control character inside a string (escape it)") }
                i += 1
            }
            guard !atEnd else { throw error("a string is not closed") }
            if bytes[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
            var out = [UInt8](bytes[start..<i])
            while true {
                guard !atEnd else { throw error("a string is not closed") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { throw error("a control character inside a string (escape it)") }
                guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
                i += 1
                guard !atEnd else { throw error("a string is not closed") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {   // a surrogate pair
                        guard bytes.endIndex - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("an unpaired surrogate in a \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("an unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(s)).utf8))
                default: throw error("an invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            }
        }

        mutating func hex4() throws(LogJSONError) -> UInt32 {
            guard bytes.endIndex - i >= 4 else { throw error("a \\u escape needs four hex digits") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("a \\u escape needs four hex digits")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}

/// Why a line is not JSON, with the column where it went wrong.
struct LogJSONError: Error, CustomStringConvertible {
    let description: String
}
