/// One ggml block format: `type.blockSize` consecutive values of a row stored in
/// `type.typeSize` bytes, laid out as ggml-common.h declares the block struct (every
/// multi-byte field little-endian, `ggml_half` an IEEE binary16). Decoders are bit-exact with
/// gguf-py's `gguf.quants.dequantize` (and ggml's `dequantize_row_*`): the same Float32
/// operations in the same order, never fused.
public protocol GGMLBlockFormat {
    static var type: GGMLType { get }
    /// Decodes `blocks` consecutive blocks at `source` into `blocks × blockSize` floats.
    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>)
}

/// A block format decoded by a SIMD loop in release builds and a scalar loop in debug ones
/// (unoptimized, SIMD types go through generic code and run 2–4.5× slower than scalar code).
public protocol GGMLSIMDBlockFormat: GGMLBlockFormat {
    static func dequantizeSIMD(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>)
    static func dequantizeScalar(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>)
}

extension GGMLSIMDBlockFormat {
    public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        #if DEBUG
        dequantizeScalar(source, blocks: blocks, into: destination)
        #else
        dequantizeSIMD(source, blocks: blocks, into: destination)
        #endif
    }
}

/// A block format with an encoder matching ggml's reference quantizer (`quantize_row_*_ref`)
/// and gguf-py's `gguf.quants.quantize` byte for byte.
public protocol GGMLBlockQuantizer: GGMLBlockFormat {
    /// Encodes `blocks × blockSize` floats at `source` into `blocks` blocks at `destination`.
    static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer)
}

/// The block formats, one type each (`GGMLBlocks.Q4_0`, `GGMLBlocks.Q6_K`, …).
public enum GGMLBlocks {
    /// The format of `type`, when Pare decodes it.
    public static func format(of type: GGMLType) -> (any GGMLBlockFormat.Type)? {
        switch type {
        case .f32: F32.self
        case .f16: F16.self
        case .bf16: BF16.self
        case .f64: F64.self
        case .i8: I8.self
        case .i16: I16.self
        case .i32: I32.self
        case .i64: I64.self
        case .q4_0: Q4_0.self
        case .q4_1: Q4_1.self
        case .q5_0: Q5_0.self
        case .q5_1: Q5_1.self
        case .q8_0: Q8_0.self
        case .q2_K: Q2_K.self
        case .q3_K: Q3_K.self
        case .q4_K: Q4_K.self
        case .q5_K: Q5_K.self
        case .q6_K: Q6_K.self
        case .q8_K: Q8_K.self
        default: nil
        }
    }

    /// The encoder of `type`, when Pare encodes it.
    public static func quantizer(of type: GGMLType) -> (any GGMLBlockQuantizer.Type)? {
        format(of: type) as? any GGMLBlockQuantizer.Type
    }

    // MARK: Shared pieces of the block layouts

    /// A `ggml_half` field at `offset`.
    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(f16: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Stores `value` rounded to a `ggml_half` (to nearest, ties to even: GGML_FP32_TO_FP16).
    @inline(__always)
    static func storeHalf(_ value: Float, _ block: UnsafeMutableRawPointer, _ offset: Int) {
        block.storeBytes(of: HalfPrecision.f16Bits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    static func byte(_ block: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        block.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Lane-by-lane widening, which the SLP vectorizer turns into vpmovzxbd + vcvtdq2ps (the
    /// standard library's generic SIMD conversions are not inlined and are several times slower).
    @inline(__always)
    static func floats(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for i in 0 ..< 16 { f[i] = Float(v[i]) }
        return f
    }

    @inline(__always)
    static func floats(_ v: SIMD16<Int8>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for i in 0 ..< 16 { f[i] = Float(v[i]) }
        return f
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// C's `(int)x` (truncation toward zero) for the quantizers, clamped to `0...limit` so a
    /// NaN or infinite input gives a code instead of a trap.
    @inline(__always)
    static func truncatedCode(_ x: Float, limit: Int) -> UInt8 {
        guard x > 0 else { return 0 }  // also NaN
        return UInt8(x < Float(limit) ? Int(x) : limit)
    }
}

/// Dequantizes a whole tensor's bytes.
enum GGMLDequantize {
    /// Decodes `raw` (whole blocks of `type`) into `destination`, which holds exactly their values.
    static func run(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        let blocks = raw.count / type.typeSize
        precondition(raw.count == blocks * type.typeSize && destination.count == blocks * type.blockSize,
                     "GGMLDequantize: \(raw.count) bytes of \(type.name) do not fill \(destination.count) floats")
        guard blocks > 0, let source = raw.baseAddress, let out = destination.baseAddress,
              let format = GGMLBlocks.format(of: type)
        else {
            precondition(blocks == 0 || GGMLBlocks.format(of: type) != nil, "GGMLDequantize: cannot decode \(type.name)")
            return
        }
        format.dequantize(source, blocks: blocks, into: out)
    }
}
