import PareNN
import PareTensor

/// One tensor of the export in its GGUF encoding, with what was done to it.
struct GGUFEncodedTensor {
    var data: GGUFTensorData
    var note: GGUFExportNote
}

/// What happened to a tensor on its way into the file; the export prints one line per
/// distinct note with the number of tensors it covers.
struct GGUFExportNote: Hashable {
    enum How: Hashable {
        /// The stored codes and scales, copied.
        case exact
        /// The stored codes, with `groups` scales rounded to fp16 (at most `change` relative).
        case roundedScales
        /// Decoded to F32 and encoded again (a plain F32 tensor encoded once).
        case reencoded
        /// Already F32 and written so (norms, biases, or --type f32).
        case asIs
    }
    var from: String
    var to: GGMLType
    var how: How
}

/// Encodes the weights of a decoder for GGUF: a group-32 quantized weight whose ggml block
/// exists goes through `GGUFExactBlocks` (unless --type asks for another type); anything else is
/// decoded to dense F32 — pruned zeros kept, a low-rank pair multiplied out — and encoded with
/// ggml's reference quantizer for the requested type (F16 without --type).
struct GGUFTensorEncoder {
    var requested: GGMLType?
    /// Scale groups rounded to fp16 across the exact tensors, and the largest relative change.
    private(set) var roundedGroups = 0
    private(set) var largestScaleChange: Float = 0

    init(requested: GGMLType?) { self.requested = requested }

    /// A matrix weight under GGUF name `name`; `ropeHeads` permutes its rows as llama.cpp's
    /// converter does for Llama's q/k projections.
    mutating func matrix(_ name: String, _ weight: any LinearWeight, ropeHeads: Int?) throws -> GGUFEncodedTensor {
        let shape = [weight.outFeatures, weight.inFeatures]
        if let q = weight as? QuantizedWeight, let exactType = GGUFExactBlocks.type(of: q),
           requested == nil || requested == exactType, let exact = GGUFExactBlocks.encode(q) {
            var bytes = exact.bytes
            if let ropeHeads { bytes = Self.permuteRows(bytes, rows: shape[0], heads: ropeHeads) }
            roundedGroups += exact.roundedScales
            largestScaleChange = max(largestScaleChange, exact.largestRelativeChange)
            let how: GGUFExportNote.How = exact.roundedScales == 0 ? .exact : .roundedScales
            return GGUFEncodedTensor(data: GGUFTensorData(name: name, shape: shape, type: exact.type, bytes: bytes),
                                     note: GGUFExportNote(from: Self.describe(weight), to: exact.type, how: how))
        }
        var dense = weight.decoded()
        if let ropeHeads { dense = GGUFRoPELayout.permute(dense, heads: ropeHeads) }
        let target = (requested ?? .f16).fitting(columns: shape[1])
        let isDense = weight is DenseWeight
        return GGUFEncodedTensor(data: GGUFTensorData(name: name, shape: shape, type: target, bytes: try target.quantize(dense.data)),
                                 note: GGUFExportNote(from: Self.describe(weight), to: target,
                                                      how: isDense && target == .f32 ? .asIs : .reencoded))
    }

    /// A table stored as F32 (the token embedding): encoded like a dense matrix.
    mutating func table(_ name: String, _ t: Tensor) throws -> GGUFEncodedTensor {
        try matrix(name, DenseWeight(t), ropeHeads: nil)
    }

    /// A 1-D tensor (norm weight, bias): F32, as llama.cpp keeps them.
    func vector(_ name: String, _ values: [Float], ropeHeads: Int?) -> GGUFEncodedTensor {
        var t = Tensor(shape: [values.count], data: values)
        if let ropeHeads { t = GGUFRoPELayout.permute(t, heads: ropeHeads) }
        return GGUFEncodedTensor(data: GGUFTensorData(name: name, shape: [values.count], type: .f32, bytes: Bytes.of(t.data)),
                                 note: GGUFExportNote(from: "F32", to: .f32, how: .asIs))
    }

    /// Whole rows of blocks in llama.cpp's q/k order: destination row r takes source row
    /// `order[r]`, the permutation `GGUFRoPELayout.permute` applies to values.
    static func permuteRows(_ bytes: [UInt8], rows: Int, heads: Int) -> [UInt8] {
        let order = GGUFRoPELayout.permute(Tensor(shape: [rows], data: (0..<rows).map(Float.init)), heads: heads).data.map { Int($0) }
        let rowBytes = bytes.count / rows
        var out = [UInt8](repeating: 0, count: bytes.count)
        for (r, source) in order.enumerated() {
            out.replaceSubrange((r * rowBytes)..<((r + 1) * rowBytes), with: bytes[(source * rowBytes)..<((source + 1) * rowBytes)])
        }
        return out
    }

    /// The stored encoding, as the export's report names it.
    static func describe(_ weight: any LinearWeight) -> String {
        switch weight {
        case is DenseWeight: return "F32"
        case let q as QuantizedWeight:
            return "int\(q.bits) \(q.params.format.scheme.rawValue) \(q.params.granularity)"
        case is LowRankWeight: return "low-rank factors (multiplied out)"
        case let l as LoRAAdaptedWeight: return "\(describe(l.base)) with rank-\(l.rank) LoRA adapters (merged to dense)"
        default: return "\(type(of: weight).encodingName) (decoded to dense)"
        }
    }
}
