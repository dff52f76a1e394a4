/// An uncompressed Float32 weight [out, in]: the base model's encoding, and the fallback a
/// compression method keeps where compressing would not pay.
public struct DenseWeight: LinearWeight {
    public static let encodingName = "dense"
    public var weight: Tensor

    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "DenseWeight needs a matrix, got shape \(weight.shape)")
        self.weight = weight
    }

    public init(decoding stored: EncodedTensor) throws {
        guard stored.shape.count == 2 else { throw EncodingError("dense weight needs a 2-D shape, got \(stored.shape)") }
        let count = stored.shape.reduce(1, *)
        guard stored.payload.count == count * 4 else {
            throw EncodingError("dense weight \(stored.shape) needs \(count * 4) bytes, has \(stored.payload.count)")
        }
        self.init(Tensor(shape: stored.shape, data: Bytes.read(Float.self, from: stored.payload, count: count)))
    }

    public func encoded() -> EncodedTensor {
        EncodedTensor(encoding: Self.encodingName, shape: weight.shape, payload: Bytes.of(weight.data))
    }

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }
    public func decoded() -> Tensor { weight }
    public var nonzeroCount: Int { weight.nonzeroCount }
    public var flopsPerSample: Int { 2 * outFeatures * inFeatures }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "input width \(x.columns) ≠ layer input \(inFeatures)")
        return matmul(x, weight, transposeB: true)
    }
}
