/// A frozen weight in any encoding with LoRA adapters executed beside it (QLoRA's form):
/// W_eff = W + s·B·A, A [r, in], B [out, r], s = alpha / r. It is what LoRA fine-tuning leaves on a
/// quantized (or otherwise non-float) base, where merging would decode the codes back to floats and
/// lose the compression: the base keeps its exact bytes and kernels, the adapters add r(in + out)
/// Float32 values and 2r(in + out) FLOPs per sample.
///
/// Stored form: encoding "lora", shape [out, in], the base's dtype; meta `rank`, `scale`,
/// `base_encoding`, `base_bytes` and the base's own meta under `base.`; payload = the base's payload,
/// then A, then B (Float32 row-major).
public struct LoRAAdaptedWeight: LinearWeight {
    public static let encodingName = "lora"
    public var base: any LinearWeight
    /// A [r, in] and B [out, r].
    public var a: Tensor, b: Tensor
    public var scale: Float

    public init(base: any LinearWeight, a: Tensor, b: Tensor, scale: Float) {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[0] == b.shape[1] && a.shape[1] == base.inFeatures && b.shape[0] == base.outFeatures,
                     "LoRA factors must be [r, \(base.inFeatures)] and [\(base.outFeatures), r], got \(a.shape) and \(b.shape)")
        self.base = base
        self.a = a
        self.b = b
        self.scale = scale
    }

    public init(decoding stored: EncodedTensor) throws {
        guard stored.shape.count == 2 else { throw EncodingError("LoRA-adapted weight needs a 2-D shape, got \(stored.shape)") }
        guard let r = stored.meta["rank"].flatMap({ Int($0) }), r >= 1, let scale = stored.meta["scale"].flatMap({ Float($0) }), scale.isFinite,
              let encoding = stored.meta["base_encoding"], encoding != Self.encodingName,
              let baseBytes = stored.meta["base_bytes"].flatMap({ Int($0) }), baseBytes >= 0 else {
            throw EncodingError("LoRA-adapted weight needs meta rank ≥ 1, a finite scale, a base_encoding other than lora and base_bytes")
        }
        let out = stored.shape[0], inputs = stored.shape[1]
        let expected = baseBytes + 4 * r * (out + inputs)
        guard stored.payload.count == expected else {
            throw EncodingError("LoRA-adapted weight \(stored.shape) of rank \(r) over \(baseBytes) base bytes needs \(expected) bytes, has \(stored.payload.count)")
        }
        var meta: [String: String] = [:]
        for (key, value) in stored.meta where key.hasPrefix("base.") { meta[String(key.dropFirst(5))] = value }
        let base = try WeightEncodings.decode(EncodedTensor(encoding: encoding, dtype: stored.dtype, shape: stored.shape, meta: meta,
                                                           payload: Array(stored.payload.prefix(baseBytes))))
        let a = Bytes.read(Float.self, from: stored.payload, offset: baseBytes, count: r * inputs)
        let b = Bytes.read(Float.self, from: stored.payload, offset: baseBytes + 4 * r * inputs, count: out * r)
        self.init(base: base, a: Tensor(shape: [r, inputs], data: a), b: Tensor(shape: [out, r], data: b), scale: scale)
    }

    public func encoded() -> EncodedTensor {
        let inner = base.encoded()
        var meta = ["rank": String(rank), "scale": String(scale), "base_encoding": inner.encoding, "base_bytes": String(inner.payload.count)]
        for (key, value) in inner.meta { meta["base." + key] = value }
        return EncodedTensor(encoding: Self.encodingName, dtype: inner.dtype, shape: [outFeatures, inFeatures], meta: meta,
                             payload: inner.payload + Bytes.of(a.data) + Bytes.of(b.data))
    }

    public var rank: Int { a.shape[0] }
    public var outFeatures: Int { base.outFeatures }
    public var inFeatures: Int { base.inFeatures }
    public var parameterCount: Int { base.parameterCount + rank * (outFeatures + inFeatures) }
    public var nonzeroCount: Int { base.nonzeroCount + a.nonzeroCount + b.nonzeroCount }
    public var flopsPerSample: Int { base.flopsPerSample + 2 * rank * (outFeatures + inFeatures) }

    /// W + s·B·A, [out, in].
    public func decoded() -> Tensor {
        var w = base.decoded()
        let low = matmul(b, a)
        for i in 0..<w.count { w.data[i] += scale * low.data[i] }
        return w
    }

    /// y = base(x) + s·(x·Aᵀ)·Bᵀ: the base in its own kernel, the adapters through the r-wide middle.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        var y = base.forward(x)
        Self.addAdapters(to: &y, x, a: a, b: b, scale: scale)
        return y
    }

    /// y += s·(x·Aᵀ)·Bᵀ: the adapters' term of a layer's output, through the r-wide middle (also
    /// what a LoRA training step adds to its frozen float base).
    public static func addAdapters(to y: inout Tensor, _ x: Tensor, a: Tensor, b: Tensor, scale: Float) {
        let low = matmul(matmul(x, a, transposeB: true), b, transposeB: true)
        for i in 0..<y.count { y.data[i] += scale * low.data[i] }
    }
}
