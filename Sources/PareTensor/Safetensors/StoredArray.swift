/// One tensor exactly as a safetensors file holds it: a dtype, a shape and the little-endian
/// bytes of its values, row-major.
public struct StoredArray: Equatable, Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// The number of values (the product of the shape; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "StoredArray: negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        precondition(bytes.count == count * dtype.byteSize,
                     "StoredArray: \(dtype.rawValue) \(shape) needs \(count * dtype.byteSize) bytes, got \(bytes.count)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// The tensor as F32, bit for bit.
    public init(_ tensor: Tensor) {
        self.init(dtype: .f32, shape: tensor.shape, bytes: Bytes.of(tensor.data))
    }

    /// The tensor converted to `dtype`: F16 and BF16 round to nearest even (overflow → ±inf);
    /// integer dtypes round to nearest even and clamp to the type's range (NaN → 0).
    public init(_ tensor: Tensor, as dtype: DType) {
        let data = tensor.data
        let bytes: [UInt8]
        switch dtype {
        case .f32: bytes = Bytes.of(data)
        case .f16: bytes = Bytes.of(data.map(HalfPrecision.f16Bits))
        case .bf16: bytes = Bytes.of(data.map(HalfPrecision.bf16Bits))
        case .i8: bytes = Bytes.of(data.map { Self.roundClamp($0, to: Int8.self) })
        case .u8: bytes = Bytes.of(data.map { Self.roundClamp($0, to: UInt8.self) })
        case .i32: bytes = Bytes.of(data.map { Self.roundClamp($0, to: Int32.self) })
        case .i64: bytes = Bytes.of(data.map { Self.roundClamp($0, to: Int64.self) })
        }
        self.init(dtype: dtype, shape: tensor.shape, bytes: bytes)
    }

    @inline(__always)
    static func roundClamp<T: FixedWidthInteger>(_ value: Float, to: T.Type) -> T {
        let r = value.rounded(.toNearestOrEven)
        if r.isNaN { return 0 }
        // Float(T.max) rounds up to a power of two for 32/64-bit types, so `>=` is the right test.
        if r >= Float(T.max) { return T.max }
        if r <= Float(T.min) { return T.min }
        return T(r)
    }

    /// Every value as Float32: F16 and BF16 exactly, integers by the nearest Float32.
    public func floats() -> [Float] {
        let n = count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .f32:
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: raw)
                case .f16:
                    for i in 0..<n {
                        out[i] = HalfPrecision.float(f16: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    }
                case .bf16:
                    for i in 0..<n {
                        out[i] = HalfPrecision.float(bf16: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    }
                case .i8:
                    for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[i])) }
                case .u8:
                    for i in 0..<n { out[i] = Float(raw[i]) }
                case .i32:
                    for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
                case .i64:
                    for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
                }
            }
            initialized = n
        }
    }

    /// The values as a Float32 tensor of the same shape.
    public var tensor: Tensor { Tensor(shape: shape, data: floats()) }
}
