/// A weight W [out, in] stored as the product of two thin factors, W ≈ U_k·V_k, from a
/// truncated SVD W ≈ U·Σ·Vᵀ with the singular values split evenly between the factors:
/// U_k = U·Σ^½ [out, k] (`left`) and V_k = Σ^½·Vᵀ [k, in] (`right`). The even split keeps both
/// factors on the same scale (neither holds all of Σ), which suits fine-tuning and Float32.
///
/// It executes as two smaller Linear layers, x·V_kᵀ (→ [batch, k]) then ·U_kᵀ (→ [batch, out]),
/// so its FLOPs are 2k(out + in) per sample instead of 2·out·in, and it stores k(out + in)
/// Float32 values instead of out·in.
///
/// Stored form: encoding "lowrank", shape [out, in], meta `rank` = k, payload = V_k then U_k,
/// both Float32 row-major (4k(out + in) bytes, nothing else).
public struct LowRankWeight: LinearWeight {
    public static let encodingName = "lowrank"
    /// U_k = U·Σ^½, [out, k].
    public var left: Tensor
    /// V_k = Σ^½·Vᵀ, [k, in].
    public var right: Tensor

    public init(left: Tensor, right: Tensor) {
        precondition(left.rank == 2 && right.rank == 2 && left.shape[1] == right.shape[0],
                     "low-rank factors must be [out, k] and [k, in], got \(left.shape) and \(right.shape)")
        self.left = left
        self.right = right
    }

    /// The best rank-k approximation of `svd`'s matrix (Eckart–Young), split as U·Σ^½, Σ^½·Vᵀ.
    public init(svd: SVD, rank k: Int) {
        precondition(k >= 1 && k <= svd.rank, "rank \(k) must be in 1…\(svd.rank)")
        let m = svd.rows, n = svd.columns, r = svd.rank
        var left = Tensor(zeros: [m, k])
        var right = Tensor(zeros: [k, n])
        for i in 0..<k {
            let root = Float(svd.singularValues[i].squareRoot())
            for row in 0..<m { left.data[row * k + i] = svd.u.data[row * r + i] * root }
            for col in 0..<n { right.data[i * n + col] = svd.vt.data[i * n + col] * root }
        }
        self.init(left: left, right: right)
    }

    /// Factors a dense [out, in] weight at rank k (computes the SVD).
    public init(factoring weight: Tensor, rank k: Int) {
        self.init(svd: SVD(weight), rank: k)
    }

    public init(decoding stored: EncodedTensor) throws {
        guard stored.shape.count == 2 else { throw EncodingError("low-rank weight needs a 2-D shape, got \(stored.shape)") }
        guard let text = stored.meta["rank"], let k = Int(text), k >= 1 else {
            throw EncodingError("low-rank weight needs a positive integer meta 'rank', got \(stored.meta["rank"] ?? "none")")
        }
        let m = stored.shape[0], n = stored.shape[1]
        guard k <= min(m, n) else { throw EncodingError("low-rank weight rank \(k) exceeds min(\(m), \(n))") }
        let expected = 4 * k * (m + n)
        guard stored.payload.count == expected else {
            throw EncodingError("low-rank weight \(stored.shape) of rank \(k) needs \(expected) bytes, has \(stored.payload.count)")
        }
        let right = Bytes.read(Float.self, from: stored.payload, offset: 0, count: k * n)
        let left = Bytes.read(Float.self, from: stored.payload, offset: 4 * k * n, count: m * k)
        self.init(left: Tensor(shape: [m, k], data: left), right: Tensor(shape: [k, n], data: right))
    }

    public func encoded() -> EncodedTensor {
        EncodedTensor(encoding: Self.encodingName, shape: [outFeatures, inFeatures], meta: ["rank": String(rank)],
                      payload: Bytes.of(right.data) + Bytes.of(left.data))
    }

    /// k, the inner dimension.
    public var rank: Int { right.shape[0] }
    public var outFeatures: Int { left.shape[0] }
    public var inFeatures: Int { right.shape[1] }
    /// Values actually stored: k·(out + in).
    public var parameterCount: Int { rank * (outFeatures + inFeatures) }
    public var nonzeroCount: Int { left.nonzeroCount + right.nonzeroCount }
    public var flopsPerSample: Int { 2 * rank * (outFeatures + inFeatures) }

    /// U_k·V_k, [out, in].
    public func decoded() -> Tensor { matmul(left, right) }

    /// y = (x·V_kᵀ)·U_kᵀ: two matrix products through the k-wide middle.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        return matmul(matmul(x, right, transposeB: true), left, transposeB: true)
    }
}

/// How a factored layer is written to (and read back from) safetensors, as PyTorch writes
/// `fc1 = nn.Sequential(nn.Linear(in, k, bias=False), nn.Linear(k, out))`:
/// `fc1.0.weight` = V_k [k, in], `fc1.1.weight` = U_k [out, k], the bias (if any) `fc1.1.bias`.
/// The file's `__metadata__` carries `lowrank` = "fc1:32,fc2:16" (layer:rank), so a loader
/// knows which layers are factored without guessing from names.
public enum LowRankExport {
    /// The `__metadata__` key listing factored layers.
    public static let metadataKey = "lowrank"

    /// Tensor names of a factored layer: (first = V_k [k, in], second = U_k [out, k], bias [out]).
    public static func tensorNames(layer: String) -> (first: String, second: String, bias: String) {
        ("\(layer).0.weight", "\(layer).1.weight", "\(layer).1.bias")
    }

    /// The two weight tensors to write for `layer`, in file order.
    public static func tensors(layer: String, weight: LowRankWeight) -> [(name: String, tensor: Tensor)] {
        let names = tensorNames(layer: layer)
        return [(names.first, weight.right), (names.second, weight.left)]
    }

    /// `__metadata__` entry for the factored layers, e.g. ["lowrank": "fc1:32,fc2:16"].
    public static func metadata(_ layers: [(layer: String, rank: Int)]) -> [String: String] {
        layers.isEmpty ? [:] : [metadataKey: layers.map { "\($0.layer):\($0.rank)" }.joined(separator: ",")]
    }

    /// The inverse of `metadata`: layer name → rank; [] when the file has no factored layers.
    public static func factoredLayers(metadata: [String: String]) throws -> [(layer: String, rank: Int)] {
        guard let text = metadata[metadataKey], !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let rank = Int(parts[1]), rank >= 1 else {
                throw EncodingError("metadata '\(metadataKey)' entry '\(item)' is not layer:rank")
            }
            return (String(parts[0]), rank)
        }
    }

    /// Rebuilds a factored layer from the tensors of a file; nil if the file has no
    /// `layer.0.weight` / `layer.1.weight` pair. Throws if the shapes do not fit together
    /// (or do not match `rank` when the metadata gives one).
    public static func weight(layer: String, tensors: [String: Tensor], rank: Int? = nil) throws -> LowRankWeight? {
        let names = tensorNames(layer: layer)
        guard let right = tensors[names.first], let left = tensors[names.second] else { return nil }
        guard right.rank == 2, left.rank == 2, left.shape[1] == right.shape[0] else {
            throw EncodingError("factored layer \(layer): \(names.second) \(left.shape) and \(names.first) \(right.shape) are not [out, k] and [k, in]")
        }
        if let rank, rank != right.shape[0] {
            throw EncodingError("factored layer \(layer): metadata says rank \(rank) but \(names.first) has \(right.shape[0]) rows")
        }
        return LowRankWeight(left: left, right: right)
    }
}
