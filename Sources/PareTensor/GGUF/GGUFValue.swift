/// The metadata value types of GGUF (`enum gguf_type` in gguf.h), with their on-disk ids.
public enum GGUFValueType: UInt32, CaseIterable, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of a fixed-size value, nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// The fewest bytes one value of this type takes in a file: a string is at least its 8-byte
    /// length, an array its 4-byte element type and 8-byte count. Counts are checked against it
    /// so a corrupt count is refused before anything is allocated.
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }
}

/// One metadata value of a GGUF file, keeping its exact type (so a file can be written back
/// bit-exactly). An array keeps its element type, which an empty array needs.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double), bool(Bool), string(String)
    case array(elementType: GGUFValueType, elements: [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value of any integer type, when it fits in Int (a UInt64 above Int.max does not).
    public var intValue: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// A float32 or float64 value as Double (exact), or an integer value that Double holds exactly.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: intValue.flatMap { Double(exactly: $0) }
        }
    }

    /// A float32 value exactly; a float64 or integer value rounded to Float.
    public var floatValue: Float? {
        if case let .float32(v) = self { return v }
        return doubleValue.map { Float($0) }
    }

    public var boolValue: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    public var stringValue: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    /// The elements of an array value.
    public var arrayElements: [GGUFValue]? {
        if case let .array(_, elements) = self { return elements }
        return nil
    }
}

extension GGUFValue: CustomStringConvertible {
    /// The value as a person would write it: `7 (uint32)`, `"llama"`, `[3 strings]`.
    public var description: String {
        switch self {
        case let .string(v): return v.count > 60 ? "\"\(v.prefix(60))…\"" : "\"\(v)\""
        case let .bool(v): return "\(v)"
        case let .float32(v): return "\(v) (float32)"
        case let .float64(v): return "\(v) (float64)"
        case let .array(elementType, elements): return "[\(elements.count) \(elementType)]"
        case let .uint64(v): return "\(v) (uint64)"
        default: return "\(intValue.map(String.init) ?? "?") (\(type))"
        }
    }
}
