/// The keys and values of every position a decoder has seen, per layer, so each new token
/// attends to the past without recomputing it (incremental decoding).
public struct KVCache: Sendable {
    public internal(set) var layers: [LayerKVCache]

    public init(layers: Int, kvWidth: Int, reservingPositions capacity: Int = 0) {
        self.layers = (0..<layers).map { _ in LayerKVCache(width: kvWidth, capacity: capacity) }
    }

    /// Positions cached so far (the position of the next token).
    public var length: Int { layers.first?.length ?? 0 }
}

/// One layer's cache: keys and values [length, kvHeads·headDim], after RoPE.
public struct LayerKVCache: Sendable {
    public let width: Int
    public private(set) var keys: [Float] = []
    public private(set) var values: [Float] = []

    init(width: Int, capacity: Int) {
        self.width = width
        keys.reserveCapacity(capacity * width)
        values.reserveCapacity(capacity * width)
    }

    public var length: Int { keys.count / width }

    mutating func append(keys k: [Float], values v: [Float]) {
        keys += k
        values += v
    }
}
