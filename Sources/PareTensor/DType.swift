/// The element types Pare reads and writes, named as safetensors names them.
public enum DType: String, CaseIterable, Codable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", i8 = "I8", u8 = "U8", i32 = "I32", i64 = "I64"

    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .i8, .u8: 1
        case .i64: 8
        }
    }
}
