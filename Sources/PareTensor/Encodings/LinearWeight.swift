/// A weight matrix W of shape [out, in] (PyTorch's layout) in some encoding, able to multiply
/// activations directly, so a compressed layer runs in its compressed form and its latency,
/// size and FLOPs are those of the encoding. Each encoding is a small type with an
/// encode/decode pair (`encoded()` / `init(decoding:)`) and a round-trip test.
public protocol LinearWeight: Sendable {
    /// The name stored in the `tensors.encoding` column, e.g. "dense", "int8-channel".
    static var encodingName: String { get }
    /// Rebuilds the weight from its stored form; throws `EncodingError` on malformed input.
    init(decoding stored: EncodedTensor) throws
    /// The stored form; `stored.payload.count` is the honest size of the weight in bytes.
    func encoded() -> EncodedTensor

    var outFeatures: Int { get }
    var inFeatures: Int { get }
    /// y = x · Wᵀ for x of shape [batch, in]; returns [batch, out]. No bias.
    func forward(_ x: Tensor) -> Tensor
    /// The weight decoded to dense Float32 [out, in].
    func decoded() -> Tensor
    /// Stored weights that are not zero.
    var nonzeroCount: Int { get }
    /// Floating-point operations per sample as this encoding executes (2 per multiply-add).
    var flopsPerSample: Int { get }
    /// Weights the layer really holds: out×in for a matrix (pruned or not), k(out+in) for a
    /// factored one.
    var parameterCount: Int { get }
}

extension LinearWeight {
    public var encodingName: String { Self.encodingName }
    public var parameterCount: Int { outFeatures * inFeatures }
    public var storedBytes: Int { encoded().payload.count }
}

/// A tensor in its stored form: what the `tensors` table and `blobs` hold.
public struct EncodedTensor: Equatable, Sendable {
    /// Which encoding wrote `payload` (a `LinearWeight.encodingName`, or "dense" for plain tensors).
    public var encoding: String
    /// The element type of the decoded values (F32 for every weight Pare computes with).
    public var dtype: DType
    /// The logical shape, e.g. [out, in].
    public var shape: [Int]
    /// Small facts the decoder needs beyond the payload (bits, group size, rank…), as strings.
    public var meta: [String: String]
    /// The encoded bytes, little-endian.
    public var payload: [UInt8]

    public init(encoding: String, dtype: DType = .f32, shape: [Int], meta: [String: String] = [:], payload: [UInt8]) {
        self.encoding = encoding
        self.dtype = dtype
        self.shape = shape
        self.meta = meta
        self.payload = payload
    }
}

/// A stored tensor that cannot be decoded.
public struct EncodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Every known weight encoding by its stored name; a new encoding registers itself here.
public enum WeightEncodings {
    public static let decoders: [String: @Sendable (EncodedTensor) throws -> any LinearWeight] = [
        DenseWeight.encodingName: { try DenseWeight(decoding: $0) },
        SparseBitmaskWeight.encodingName: { try SparseBitmaskWeight(decoding: $0) },
        SparseCSRWeight.encodingName: { try SparseCSRWeight(decoding: $0) },
        QuantizedWeight.encodingName: { try QuantizedWeight(decoding: $0) },
        SparseQuantizedWeight.encodingName: { try SparseQuantizedWeight(decoding: $0) },
        StaticInt8Linear.encodingName: { try StaticInt8Linear(decoding: $0) },
        DynamicInt8Linear.encodingName: { try DynamicInt8Linear(decoding: $0) },
        GroupwiseDynamicInt8Linear.encodingName: { try GroupwiseDynamicInt8Linear(decoding: $0) },
        LowRankWeight.encodingName: { try LowRankWeight(decoding: $0) },
        LoRAAdaptedWeight.encodingName: { try LoRAAdaptedWeight(decoding: $0) },
    ]

    public static func decode(_ stored: EncodedTensor) throws -> any LinearWeight {
        guard let decoder = decoders[stored.encoding] else {
            throw EncodingError("unknown weight encoding '\(stored.encoding)' (known: \(decoders.keys.sorted().joined(separator: ", ")))")
        }
        return try decoder(stored)
    }
}
