/// A dense Float32 tensor, row-major. Every dtype a file holds is read into this form;
/// compressed encodings (int8, packed int4, sparse, low-rank) are separate types that
/// decode to it.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor shape \(shape) holds \(shape.reduce(1, *)) values, not \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    /// Rows of a matrix (the first dimension).
    public var rows: Int { shape.first ?? 1 }
    /// Columns of a matrix (the product of every dimension after the first).
    public var columns: Int { shape.count <= 1 ? (shape.first ?? 1) : shape.dropFirst().reduce(1, *) }

    public subscript(row: Int, column: Int) -> Float {
        get { data[row * columns + column] }
        set { data[row * columns + column] = newValue }
    }

    /// True when every value is finite (no NaN, no ±Inf).
    public var isFinite: Bool { data.allSatisfy { $0.isFinite } }

    /// Number of values that are not exactly zero.
    public var nonzeroCount: Int { data.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// Frobenius norm, accumulated in Double.
    public var frobeniusNorm: Double { data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
}
