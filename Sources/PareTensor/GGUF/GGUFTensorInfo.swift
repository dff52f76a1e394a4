/// One tensor's entry in a GGUF file's header.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// The dimensions as GGUF stores them: ne[0], the fastest-varying (a row's length), first.
    public let dimensions: [Int]
    public let type: GGMLType
    /// The data's offset from the start of the file's data section, as the file states it.
    public let offset: Int
    /// Bytes of block data (`elementCount / type.blockSize * type.typeSize`).
    public let byteCount: Int

    /// The shape in row-major (PyTorch) order: `dimensions` reversed, so a weight matrix is
    /// [rows, columns] = [out_features, in_features].
    public var shape: [Int] { dimensions.reversed() }

    public var elementCount: Int { dimensions.reduce(1, *) }

    public init(name: String, dimensions: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }
}
