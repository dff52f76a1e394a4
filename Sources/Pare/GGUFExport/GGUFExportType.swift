import PareTensor

/// The tensor types `pare export-model --type` writes.
public enum GGUFExportType: String, CaseIterable, Sendable {
    case f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q6_k

    public var ggml: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q4_k: .q4_K
        case .q6_k: .q6_K
        }
    }
}

extension GGMLType {
    /// The type a matrix with rows of `columns` values gets when it asks for this one: this type
    /// when its blocks divide the row, else llama-quantize's fallback (a K-quant's 256-value
    /// super-blocks do not divide SmolLM2's 576: Q4_K falls back to Q5_0, Q6_K to Q8_0), else F16.
    func fitting(columns: Int) -> GGMLType {
        if columns % blockSize == 0 { return self }
        let fallback: GGMLType = switch self {
        case .q4_K: .q5_0
        case .q6_K: .q8_0
        default: .f16
        }
        return columns % fallback.blockSize == 0 ? fallback : .f16
    }
}
