/// The unblocked number types (block size 1): F32, F16, BF16 and, for completeness, the
/// F64/I8/I16/I32/I64 types GGUFWriter can store (decoded as numpy's astype(float32) does).
extension GGMLBlocks {
    /// `float`: 4 bytes, IEEE binary32.
    public enum F32: GGMLBlockQuantizer {
        public static let type = GGMLType.f32

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: blocks * 4)
        }

        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            destination.copyMemory(from: source, byteCount: blocks * 4)
        }
    }

    /// `ggml_half`: 2 bytes, IEEE binary16.
    public enum F16: GGMLBlockQuantizer {
        public static let type = GGMLType.f16

        /// A plain loop: LLVM vectorizes HalfPrecision's branch-free conversion itself (measured
        /// 6.6 GB/s of output, 18× a hand-written SIMD16 bit trick using masked selects).
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks { destination[i] = half(source, 2 * i) }
        }

        /// Rounds to nearest, ties to even (numpy's astype(float16), ggml's GGML_FP32_TO_FP16).
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for i in 0 ..< blocks { storeHalf(source[i], destination, 2 * i) }
        }
    }

    /// `ggml_bf16_t`: 2 bytes, the top half of a binary32.
    public enum BF16: GGMLBlockQuantizer {
        public static let type = GGMLType.bf16

        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            var i = 0
            while i + 16 <= blocks {
                let h = source.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                var w = SIMD16<UInt32>()
                for k in 0 ..< 16 { w[k] = UInt32(h[k]) &<< 16 }
                store(unsafeBitCast(w, to: SIMD16<Float>.self), destination + i)
                i += 16
            }
            while i < blocks {
                destination[i] = HalfPrecision.float(bf16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                i += 1
            }
        }

        /// Rounds to nearest, ties to even; NaN stays NaN, quieted (ggml_compute_fp32_to_bf16).
        public static func quantize(_ source: UnsafePointer<Float>, blocks: Int, into destination: UnsafeMutableRawPointer) {
            for i in 0 ..< blocks {
                destination.storeBytes(of: HalfPrecision.bf16Bits(source[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        }
    }

    /// `double`: 8 bytes, rounded to Float32 (values beyond Float's range become ±infinity).
    public enum F64: GGMLBlockFormat {
        public static let type = GGMLType.f64
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks {
                destination[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        }
    }

    /// `int8_t`.
    public enum I8: GGMLBlockFormat {
        public static let type = GGMLType.i8
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks { destination[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
        }
    }

    /// `int16_t`.
    public enum I16: GGMLBlockFormat {
        public static let type = GGMLType.i16
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks { destination[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        }
    }

    /// `int32_t` (rounded to the nearest Float above 2^24).
    public enum I32: GGMLBlockFormat {
        public static let type = GGMLType.i32
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks { destination[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        }
    }

    /// `int64_t` (rounded to the nearest Float above 2^24).
    public enum I64: GGMLBlockFormat {
        public static let type = GGMLType.i64
        public static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
            for i in 0 ..< blocks { destination[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        }
    }
}
