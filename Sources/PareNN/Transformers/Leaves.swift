import PareTensor

/// A lookup table [count, dim]: row `id` is the vector of token (or position, or type) `id`.
///
/// A table may be stored as two factors (TensorGPT's / LoRA-style low-rank embedding):
/// E [count, dim] = A [count, k] · B [k, dim], a `LowRankWeight` with out = count and in = dim.
/// A lookup is then row `id` of A times B. `weight` keeps the dense product A·B so what
/// reads the table as a matrix (export, norms of rows) sees what the lookup computes.
public struct Embedding: Sendable {
    /// The Hugging Face path, e.g. `model.embed_tokens`.
    public var name: String
    /// The table [count, dim]; for a factored table, the product of `factors`.
    public private(set) var weight: Tensor
    /// The two factors of a low-rank table (left = A [count, k], right = B [k, dim]), or nil.
    public private(set) var factors: LowRankWeight?

    public init(name: String, weight: Tensor) {
        precondition(weight.rank == 2, "Embedding \(name) needs a matrix, got shape \(weight.shape)")
        self.name = name
        self.weight = weight
        self.factors = nil
    }

    /// A table stored as A·B: `factors.left` is A [count, k], `factors.right` B [k, dim].
    public init(name: String, factors: LowRankWeight) {
        self.name = name
        self.weight = factors.decoded()
        self.factors = factors
    }

    public var count: Int { weight.shape[0] }
    public var dim: Int { weight.shape[1] }

    /// The rows of `ids` stacked, [ids.count, dim]; an id outside the table is a typed error.
    public func callAsFunction(_ ids: [Int]) throws -> Tensor {
        let d = dim, n = count
        if let bad = ids.first(where: { $0 < 0 || $0 >= n }) {
            throw TransformerError.tokenOutOfRange(token: bad, vocabularySize: n)
        }
        if let factors { return Self.lookup(ids, in: factors) }
        var out = Tensor(zeros: [ids.count, d])
        weight.data.withUnsafeBufferPointer { w in
            out.data.withUnsafeMutableBufferPointer { o in
                for (r, id) in ids.enumerated() {
                    (o.baseAddress! + r * d).update(from: w.baseAddress! + id * d, count: d)
                }
            }
        }
        return out
    }

    /// Rows `ids` of A, times B: [ids.count, k] · [k, dim].
    static func lookup(_ ids: [Int], in factors: LowRankWeight) -> Tensor {
        let k = factors.rank
        var rows = Tensor(zeros: [ids.count, k])
        factors.left.data.withUnsafeBufferPointer { a in
            rows.data.withUnsafeMutableBufferPointer { o in
                for (r, id) in ids.enumerated() { (o.baseAddress! + r * k).update(from: a.baseAddress! + id * k, count: k) }
            }
        }
        return matmul(rows, factors.right)
    }

    /// Adds rows `ids` of the table to the rows of `x` (position and token-type embeddings).
    func add(_ ids: [Int], to x: inout Tensor) throws {
        let d = dim, n = count
        if let bad = ids.first(where: { $0 < 0 || $0 >= n }) {
            throw TransformerError.tokenOutOfRange(token: bad, vocabularySize: n)
        }
        weight.data.withUnsafeBufferPointer { w in
            x.data.withUnsafeMutableBufferPointer { o in
                for (r, id) in ids.enumerated() {
                    VectorKernels.add(o.baseAddress! + r * d, w.baseAddress! + id * d, count: d)
                }
            }
        }
    }
}

/// Root-mean-square norm (Llama): x / sqrt(mean(x²) + eps) · weight, per row.
public struct RMSNorm: Sendable {
    public var name: String
    public var weight: [Float]
    public var eps: Float

    public init(name: String, weight: [Float], eps: Float) {
        self.name = name
        self.weight = weight
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let dim = weight.count
        precondition(x.columns == dim, "RMSNorm \(name): input width \(x.columns) ≠ \(dim)")
        var y = Tensor(zeros: x.shape)
        x.data.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    VectorKernels.rmsNorm(xp.baseAddress!, weight: wp.baseAddress!, eps: eps,
                                          rows: x.rows, dim: dim, into: yp.baseAddress!)
                }
            }
        }
        return y
    }
}

/// Layer norm over the last dimension with a learned scale and shift (BERT, GPT-2).
public struct LayerNorm: Sendable {
    public var name: String
    public var weight: [Float]
    public var bias: [Float]
    public var eps: Float

    public init(name: String, weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count, "LayerNorm \(name): weight and bias differ in size")
        self.name = name
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let dim = weight.count
        precondition(x.columns == dim, "LayerNorm \(name): input width \(x.columns) ≠ \(dim)")
        var y = Tensor(zeros: x.shape)
        x.data.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    y.data.withUnsafeMutableBufferPointer { yp in
                        VectorKernels.layerNorm(xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!,
                                                eps: eps, rows: x.rows, dim: dim, into: yp.baseAddress!)
                    }
                }
            }
        }
        return y
    }
}

extension Tensor {
    /// self += other, element-wise (residual connections).
    mutating func add(_ other: Tensor) {
        precondition(count == other.count, "residual add: \(shape) + \(other.shape)")
        let n = count
        data.withUnsafeMutableBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in VectorKernels.add(a.baseAddress!, b.baseAddress!, count: n) }
        }
    }

    /// self *= other, element-wise (SwiGLU's gate · up).
    mutating func multiply(_ other: Tensor) {
        precondition(count == other.count, "element-wise product: \(shape) · \(other.shape)")
        let n = count
        data.withUnsafeMutableBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in VectorKernels.multiply(a.baseAddress!, b.baseAddress!, count: n) }
        }
    }
}
