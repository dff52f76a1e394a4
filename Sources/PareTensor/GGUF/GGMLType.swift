/// The tensor element types ggml defines (`enum ggml_type` in ggml.h; ids 4, 5, 31–33 and 36–38
/// belonged to formats ggml has since removed). Each stores `blockSize` consecutive values of a
/// row in `typeSize` bytes, as ggml's type traits (and gguf-py's GGML_QUANT_SIZES) declare.
public enum GGMLType: UInt32, CaseIterable, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// Values per super-block of the K-quants.
    static let qkK = 256

    /// ggml's name of the type ("Q4_K", "BF16").
    public var name: String { String(describing: self).uppercased() }

    /// Values per block (1 for the plain number types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: 32
        case .nvfp4: 64
        case .q1_0: 128
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s,
             .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0: Self.qkK
        }
    }

    /// Bytes per block.
    public var typeSize: Int {
        let k = Self.qkK
        return switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .f64, .i64: 8
        case .i8: 1
        case .q4_0, .iq4_nl: 2 + 16
        case .q4_1: 2 + 2 + 16
        case .q5_0: 2 + 4 + 16
        case .q5_1: 2 + 2 + 4 + 16
        case .q8_0: 2 + 32
        case .q8_1: 2 + 2 + 32  // ggml_half d, s; int8 qs[32] (gguf-py's table still says the old 40)
        case .q2_K: 2 + 2 + k / 16 + k / 4
        case .q3_K: 2 + k / 4 + k / 8 + 12
        case .q4_K: 2 + 2 + k / 2 + 12
        case .q5_K: 2 + 2 + k / 2 + k / 8 + 12
        case .q6_K: 2 + k / 2 + k / 4 + k / 16
        case .q8_K: 4 + k + k / 8
        case .iq2_xxs: 2 + k / 4
        case .iq2_xs: 2 + k / 4 + k / 32
        case .iq3_xxs: 2 + k / 4 + k / 8
        case .iq1_s: 2 + k / 8 + k / 16
        case .iq3_s: 2 + k / 4 + k / 8 + k / 32 + 4
        case .iq2_s: 2 + k / 4 + k / 16
        case .iq4_xs: 2 + 2 + k / 2 + k / 64
        case .iq1_m: k / 8 + k / 16 + k / 32
        case .tq1_0: 2 + 4 * 13
        case .tq2_0: 2 + 64
        case .mxfp4: 1 + 16
        case .nvfp4: 4 + 32
        case .q1_0: 2 + 16
        }
    }

    /// True when Pare can dequantize this type to Float32.
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: true
        default: false
        }
    }

    /// True when Pare can quantize Float32 values to this type, bit-exactly as ggml's reference
    /// quantizers (`quantize_row_*_ref`) and gguf-py's `gguf.quants.quantize` do.
    public var canQuantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K: true
        default: false
        }
    }

    /// Bytes that `count` values occupy, or nil when `count` is not a whole number of blocks.
    public func byteCount(forValues count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }
}
