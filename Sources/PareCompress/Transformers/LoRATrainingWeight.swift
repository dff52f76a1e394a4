import PareTensor

/// An adapted layer's weight while LoRA trains: (W + s·B·A)⊙mask, formed only when a pass asks
/// for it (`decoded()`) and dropped after that layer's use, so a step holds one layer's merged
/// copy at a time instead of a second copy of every adapted Linear beside the frozen base.
/// Never stored: `encoded()` is the merged dense weight, which is what the run keeps.
struct LoRATrainingWeight: LinearWeight {
    static let encodingName = DenseWeight.encodingName
    let adapter: LoRAAdapters.Adapter
    let rank: Int, scale: Float

    init(decoding stored: EncodedTensor) throws {
        throw EncodingError("a LoRA training weight is never stored; its merged dense weight is")
    }

    init(_ adapter: LoRAAdapters.Adapter, rank: Int, scale: Float) {
        self.adapter = adapter
        self.rank = rank
        self.scale = scale
    }

    func encoded() -> EncodedTensor { DenseWeight(decoded()).encoded() }
    var outFeatures: Int { adapter.base.rows }
    var inFeatures: Int { adapter.base.columns }
    func decoded() -> Tensor { LoRAAdapters.effective(adapter, rank: rank, scale: scale) }
    var nonzeroCount: Int { decoded().nonzeroCount }
    var flopsPerSample: Int { 2 * outFeatures * inFeatures }

    /// x·Wᵀ + s·(x·Aᵀ)·Bᵀ without the merged weight when no mask applies.
    func forward(_ x: Tensor) -> Tensor {
        guard !adapter.masked else { return matmul(x, decoded(), transposeB: true) }
        var y = matmul(x, adapter.base, transposeB: true)
        LoRAAdaptedWeight.addAdapters(to: &y, x, a: Tensor(shape: [rank, inFeatures], data: adapter.a),
                                      b: Tensor(shape: [outFeatures, rank], data: adapter.b), scale: scale)
        return y
    }
}
