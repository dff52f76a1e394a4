import Dispatch

/// SIMD dot products of quantized code rows with Float32 activations, the inner loops of the
/// dequantize-on-the-fly GEMV. Codes are widened to Float with hand-written lane loops: the
/// standard library's generic `SIMD16<Float>(SIMD16<Int32>(…))` conversions are not inlined and
/// were measured 5.5× slower here; the lane loops compile to vpmovsxbd/vcvtdq2ps.
public enum QuantKernels {
    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func widen(_ p: UnsafePointer<Int8>) -> SIMD16<Float> {
        var v = SIMD16<Float>()
        for i in 0..<16 { v[i] = Float(p[i]) }
        return v
    }

    @inline(__always)
    static func widen(_ p: UnsafePointer<UInt8>) -> SIMD16<Float> {
        var v = SIMD16<Float>()
        for i in 0..<16 { v[i] = Float(p[i]) }
        return v
    }

    /// Lane-by-lane widening; one conversion per loop so the SLP vectorizer emits vpmovzxbd + vcvtdq2ps.
    @inline(__always)
    static func float(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for i in 0..<16 { f[i] = Float(v[i]) }
        return f
    }

    /// Σ w[j]·x[j] for n signed 8-bit codes, as 16 unreduced lanes.
    @inline(__always)
    public static func dotLanes(_ w: UnsafePointer<Int8>, _ x: UnsafePointer<Float>, _ n: Int) -> SIMD16<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var j = 0
        while j + 64 <= n {
            a0 += widen(w + j) * load16(x + j)
            a1 += widen(w + j + 16) * load16(x + j + 16)
            a2 += widen(w + j + 32) * load16(x + j + 32)
            a3 += widen(w + j + 48) * load16(x + j + 48)
            j += 64
        }
        while j + 16 <= n {
            a0 += widen(w + j) * load16(x + j)
            j += 16
        }
        var acc = (a0 + a1) + (a2 + a3)
        if j < n {
            var s: Float = 0
            while j < n { s += Float(w[j]) * x[j]; j += 1 }
            acc[0] += s
        }
        return acc
    }

    /// Σ w_r[j]·x[j] for four rows of n signed 8-bit codes (row r at w + r·stride), as four
    /// sums. Four rows share every load of x and give the memory system four streams, which a
    /// single-row dot leaves idle on layers larger than the cache.
    @inline(__always)
    public static func dot4Rows(_ w: UnsafePointer<Int8>, stride: Int, _ x: UnsafePointer<Float>, _ n: Int) -> SIMD4<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride
        var j = 0
        while j + 16 <= n {
            let xv = load16(x + j)
            a0.addProduct(widen(w + j), xv)
            a1.addProduct(widen(w1 + j), xv)
            a2.addProduct(widen(w2 + j), xv)
            a3.addProduct(widen(w3 + j), xv)
            j += 16
        }
        var sums = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
        while j < n {
            sums += SIMD4<Float>(Float(w[j]), Float(w1[j]), Float(w2[j]), Float(w3[j])) * x[j]
            j += 1
        }
        return sums
    }

    /// Σ w[j]·x[j] for n unsigned 8-bit codes, as 16 unreduced lanes.
    @inline(__always)
    public static func dotLanes(_ w: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>, _ n: Int) -> SIMD16<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var j = 0
        while j + 64 <= n {
            a0 += widen(w + j) * load16(x + j)
            a1 += widen(w + j + 16) * load16(x + j + 16)
            a2 += widen(w + j + 32) * load16(x + j + 32)
            a3 += widen(w + j + 48) * load16(x + j + 48)
            j += 64
        }
        while j + 16 <= n {
            a0 += widen(w + j) * load16(x + j)
            j += 16
        }
        var acc = (a0 + a1) + (a2 + a3)
        if j < n {
            var s: Float = 0
            while j < n { s += Float(w[j]) * x[j]; j += 1 }
            acc[0] += s
        }
        return acc
    }

    // Packed 2-, 3- and 4-bit codes are read in "units": one byte (4-bit: 2 codes, 2-bit: 4 codes)
    // or three bytes (3-bit: 8 codes). x is split once per input row into u planes,
    // plane p holding x[u·i + p], so code p of unit i meets plane p at lane i and no shuffle is
    // needed. Codes are read unsigned: a signed b-bit code c is stored as c + 2^(b−1) with its top
    // bit flipped, so XOR-ing the sign bits gives c_u = c + 2^(b−1) and the caller subtracts
    // 2^(b−1)·Σx (folded into the zero point). Each function returns 16 unreduced lanes.

    /// Σ c_u·x over `units` bytes of 4-bit codes (2 a byte), planes x0 (even) and x1 (odd).
    @inline(__always)
    public static func dot4(_ w: UnsafePointer<UInt8>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                            units: Int, flip: UInt8) -> SIMD16<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let m = SIMD16<UInt8>(repeating: flip), low = SIMD16<UInt8>(repeating: 15), four = SIMD16<UInt8>(repeating: 4)
        var j = 0
        while j + 32 <= units {
            let v0 = UnsafeRawPointer(w + j).loadUnaligned(as: SIMD16<UInt8>.self) ^ m
            let v1 = UnsafeRawPointer(w + j + 16).loadUnaligned(as: SIMD16<UInt8>.self) ^ m
            let l0 = v0 & low, h0 = v0 &>> four, l1 = v1 & low, h1 = v1 &>> four
            a0 += float(l0) * load16(x0 + j); a1 += float(h0) * load16(x1 + j)
            a2 += float(l1) * load16(x0 + j + 16); a3 += float(h1) * load16(x1 + j + 16)
            j += 32
        }
        while j + 16 <= units {
            let v = UnsafeRawPointer(w + j).loadUnaligned(as: SIMD16<UInt8>.self) ^ m
            let l = v & low, h = v &>> four
            a0 += float(l) * load16(x0 + j); a1 += float(h) * load16(x1 + j)
            j += 16
        }
        var acc = (a0 + a1) + (a2 + a3)
        if j < units {
            var tail: Float = 0
            while j < units {
                let b = w[j] ^ flip
                tail += Float(b & 15) * x0[j] + Float(b >> 4) * x1[j]
                j += 1
            }
            acc[0] += tail
        }
        return acc
    }

    /// Σ c_u·x over `units` bytes of 2-bit codes (4 a byte), planes x[0…3].
    @inline(__always)
    public static func dot2(_ w: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>, planeStride: Int,
                            units: Int, flip: UInt8) -> SIMD16<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let m = SIMD16<UInt8>(repeating: flip), three = SIMD16<UInt8>(repeating: 3)
        let x0 = x, x1 = x + planeStride, x2 = x + 2 * planeStride, x3 = x + 3 * planeStride
        var j = 0
        while j + 16 <= units {
            let v = UnsafeRawPointer(w + j).loadUnaligned(as: SIMD16<UInt8>.self) ^ m
            let c0 = v & three, c1 = (v &>> 2) & three, c2 = (v &>> 4) & three, c3 = v &>> 6
            a0 += float(c0) * load16(x0 + j); a1 += float(c1) * load16(x1 + j)
            a2 += float(c2) * load16(x2 + j); a3 += float(c3) * load16(x3 + j)
            j += 16
        }
        var acc = (a0 + a1) + (a2 + a3)
        var tail: Float = 0
        while j < units {
            let b = w[j] ^ flip
            tail += Float(b & 3) * x0[j] + Float((b >> 2) & 3) * x1[j] + Float((b >> 4) & 3) * x2[j] + Float(b >> 6) * x3[j]
            j += 1
        }
        acc[0] += tail
        return acc
    }

    /// Σ c_u·x over `units` 3-byte units of 3-bit codes (8 a unit), planes x[0…7].
    @inline(__always)
    public static func dot3(_ w: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>, planeStride: Int,
                            units: Int, flip: UInt32) -> SIMD16<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        let m = SIMD16<UInt32>(repeating: flip), seven = SIMD16<UInt32>(repeating: 7)
        var j = 0
        while j + 16 <= units {
            var v = SIMD16<UInt32>()
            for i in 0..<16 {
                let p = w + 3 * (j + i)
                v[i] = UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16
            }
            v ^= m
            for p in 0..<8 {
                let c = (v &>> UInt32(3 * p)) & seven
                var f = SIMD16<Float>()
                for i in 0..<16 { f[i] = Float(Int32(bitPattern: c[i])) }
                if p & 1 == 0 { a0 += f * load16(x + p * planeStride + j) } else { a1 += f * load16(x + p * planeStride + j) }
            }
            j += 16
        }
        var acc = a0 + a1
        var tail: Float = 0
        while j < units {
            let q = w + 3 * j
            let v = (UInt32(q[0]) | UInt32(q[1]) << 8 | UInt32(q[2]) << 16) ^ flip
            for p in 0..<8 { tail += Float((v >> UInt32(3 * p)) & 7) * x[p * planeStride + j] }
            j += 1
        }
        acc[0] += tail
        return acc
    }

    /// Σ x[j]·y[j] in Float32.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var j = 0
        while j + 64 <= n {
            a0 += load16(a + j) * load16(b + j)
            a1 += load16(a + j + 16) * load16(b + j + 16)
            a2 += load16(a + j + 32) * load16(b + j + 32)
            a3 += load16(a + j + 48) * load16(b + j + 48)
            j += 64
        }
        while j + 16 <= n {
            a0 += load16(a + j) * load16(b + j)
            j += 16
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// A plain SIMD fp32 GEMV, y[r] = W[r,:]·x (W row-major [rows, columns]): the fair fp32
    /// baseline of the quantized GEMV benchmark.
    public static func gemvF32(_ w: UnsafePointer<Float>, rows: Int, columns: Int,
                               x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { y[r] = dot(w + r * columns, x, columns) }
    }

    /// Σ code·x for 16-bit-safe integer codes (int8 weights × uint8/int8 activations),
    /// accumulated exactly in Int32 lanes.
    @inline(__always)
    public static func dotInt(_ w: UnsafePointer<Int8>, _ x: UnsafePointer<Int32>, _ n: Int) -> Int32 {
        var a0 = SIMD16<Int32>(), a1 = SIMD16<Int32>()
        var j = 0
        while j + 32 <= n {
            var w0 = SIMD16<Int32>(), w1 = SIMD16<Int32>()
            for i in 0..<16 { w0[i] = Int32(w[j + i]); w1[i] = Int32(w[j + 16 + i]) }
            a0 &+= w0 &* UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Int32>.self)
            a1 &+= w1 &* UnsafeRawPointer(x + j + 16).loadUnaligned(as: SIMD16<Int32>.self)
            j += 32
        }
        while j + 16 <= n {
            var w0 = SIMD16<Int32>()
            for i in 0..<16 { w0[i] = Int32(w[j + i]) }
            a0 &+= w0 &* UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Int32>.self)
            j += 16
        }
        var s = (a0 &+ a1).wrappedSum()
        while j < n { s &+= Int32(w[j]) &* x[j]; j += 1 }
        return s
    }
}

// MARK: - W8A8 integer kernels (int8 weights × 8-bit activations → exact Int32)
//
// Activations are passed as unsigned offset codes u = q − qmin ∈ [0, 255] (for uint8 codes u = q,
// for int8 codes u = q + 128), so Σ w·q = Σ w·u + qmin·Σ w and the caller folds qmin into the zero
// point. Zero-extended u8 and sign-extended i8 lanes tell LLVM each Int32 product fits 16×16 bits,
// so `w &* u` on SIMD16<Int32> lowers to one vpmaddwd (16 multiply-adds) instead of vpmulld, and
// to vpdpwssd on a VNNI target CPU. Integer sums are exact, so any summation order gives the same
// Int32 as a scalar loop.
extension QuantKernels {
    @inline(__always)
    static func int32Lanes(_ p: UnsafePointer<Int8>) -> SIMD16<Int32> {
        var v = SIMD16<Int32>()
        for i in 0..<16 { v[i] = Int32(truncatingIfNeeded: p[i]) }
        return v
    }

    @inline(__always)
    static func int32Lanes(_ p: UnsafePointer<UInt8>) -> SIMD16<Int32> {
        var v = SIMD16<Int32>()
        for i in 0..<16 { v[i] = Int32(truncatingIfNeeded: p[i]) }
        return v
    }

    @inline(__always)
    static func laneSum(_ v: SIMD16<Int32>) -> Int32 {
        var s: Int32 = 0
        for i in 0..<16 { s &+= v[i] }
        return s
    }

    /// Σ w[j]·u[j] for n int8 weights and uint8 offset codes, exact in Int32.
    @inline(__always)
    public static func dotU8(_ w: UnsafePointer<Int8>, _ u: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        var a0 = SIMD16<Int32>(), a1 = SIMD16<Int32>(), a2 = SIMD16<Int32>(), a3 = SIMD16<Int32>()
        var j = 0
        while j + 64 <= n {
            a0 &+= int32Lanes(w + j) &* int32Lanes(u + j)
            a1 &+= int32Lanes(w + j + 16) &* int32Lanes(u + j + 16)
            a2 &+= int32Lanes(w + j + 32) &* int32Lanes(u + j + 32)
            a3 &+= int32Lanes(w + j + 48) &* int32Lanes(u + j + 48)
            j += 64
        }
        while j + 16 <= n {
            a0 &+= int32Lanes(w + j) &* int32Lanes(u + j)
            j += 16
        }
        var s = laneSum((a0 &+ a1) &+ (a2 &+ a3))
        while j < n { s &+= Int32(truncatingIfNeeded: w[j]) &* Int32(truncatingIfNeeded: u[j]); j += 1 }
        return s
    }

    /// c[i·ldc + r] += Σ_j w[r·ldw + j]·u[i·ldu + j] for a 4 (weight rows r) × 4 (activation rows i)
    /// tile over n columns: 16 Int32 accumulators, each weight and activation vector loaded once.
    @inline(__always)
    static func tile4x4(_ w: UnsafePointer<Int8>, _ ldw: Int, _ u: UnsafePointer<UInt8>, _ ldu: Int, _ n: Int,
                        _ c: UnsafeMutablePointer<Int32>, _ ldc: Int) {
        var c00 = SIMD16<Int32>(), c01 = SIMD16<Int32>(), c02 = SIMD16<Int32>(), c03 = SIMD16<Int32>()
        var c10 = SIMD16<Int32>(), c11 = SIMD16<Int32>(), c12 = SIMD16<Int32>(), c13 = SIMD16<Int32>()
        var c20 = SIMD16<Int32>(), c21 = SIMD16<Int32>(), c22 = SIMD16<Int32>(), c23 = SIMD16<Int32>()
        var c30 = SIMD16<Int32>(), c31 = SIMD16<Int32>(), c32 = SIMD16<Int32>(), c33 = SIMD16<Int32>()
        let u0 = u, u1 = u + ldu, u2 = u + 2 * ldu, u3 = u + 3 * ldu
        let w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw
        var j = 0
        while j + 16 <= n {
            let x0 = int32Lanes(u0 + j), x1 = int32Lanes(u1 + j), x2 = int32Lanes(u2 + j), x3 = int32Lanes(u3 + j)
            let v0 = int32Lanes(w0 + j)
            c00 &+= v0 &* x0; c01 &+= v0 &* x1; c02 &+= v0 &* x2; c03 &+= v0 &* x3
            let v1 = int32Lanes(w1 + j)
            c10 &+= v1 &* x0; c11 &+= v1 &* x1; c12 &+= v1 &* x2; c13 &+= v1 &* x3
            let v2 = int32Lanes(w2 + j)
            c20 &+= v2 &* x0; c21 &+= v2 &* x1; c22 &+= v2 &* x2; c23 &+= v2 &* x3
            let v3 = int32Lanes(w3 + j)
            c30 &+= v3 &* x0; c31 &+= v3 &* x1; c32 &+= v3 &* x2; c33 &+= v3 &* x3
            j += 16
        }
        c[0] &+= laneSum(c00); c[ldc] &+= laneSum(c01); c[2 * ldc] &+= laneSum(c02); c[3 * ldc] &+= laneSum(c03)
        c[1] &+= laneSum(c10); c[ldc + 1] &+= laneSum(c11); c[2 * ldc + 1] &+= laneSum(c12); c[3 * ldc + 1] &+= laneSum(c13)
        c[2] &+= laneSum(c20); c[ldc + 2] &+= laneSum(c21); c[2 * ldc + 2] &+= laneSum(c22); c[3 * ldc + 2] &+= laneSum(c23)
        c[3] &+= laneSum(c30); c[ldc + 3] &+= laneSum(c31); c[2 * ldc + 3] &+= laneSum(c32); c[3 * ldc + 3] &+= laneSum(c33)
        if j < n {
            for r in 0..<4 {
                for i in 0..<4 {
                    var s: Int32 = 0
                    for t in j..<n {
                        s &+= Int32(truncatingIfNeeded: w[r * ldw + t]) &* Int32(truncatingIfNeeded: u[i * ldu + t])
                    }
                    c[i * ldc + r] &+= s
                }
            }
        }
    }

    /// Quantizes `n` floats (each times `multiplier[j]` when given) to offset codes
    /// u = clamp(round_half_even(x·(1/scale)) + zp, qmin, qmax) − qmin, the same Float arithmetic
    /// as `QuantFormat.quantize`. Traps on NaN like `quantize` does.
    @inline(__always)
    public static func quantizeRow(_ x: UnsafePointer<Float>, multiplier: UnsafePointer<Float>?, _ n: Int,
                                   scale: Float, zeroPoint: Int32, qmin: Int32, qmax: Int32,
                                   into u: UnsafeMutablePointer<UInt8>) {
        let inv = 1 / scale, zp = Float(zeroPoint), lo = Float(qmin), hi = Float(qmax)
        // c + 1.5·2²³ puts an integer-valued c (|c| < 2²²) in the low mantissa bits: an exact,
        // branch-free Float → Int conversion that vectorizes (Int32(Float) checks its range).
        let magic: Float = 12_582_912
        var nan: UInt8 = 0
        if let m = multiplier {
            for j in 0..<n {
                let c = Swift.min(Swift.max((x[j] * m[j] * inv).rounded(.toNearestOrEven) + zp, lo), hi)
                nan |= c.isNaN ? 1 : 0
                u[j] = UInt8(truncatingIfNeeded: (Int32(bitPattern: (c + magic).bitPattern) &- 0x4B40_0000) &- qmin)
            }
        } else {
            for j in 0..<n {
                let c = Swift.min(Swift.max((x[j] * inv).rounded(.toNearestOrEven) + zp, lo), hi)
                nan |= c.isNaN ? 1 : 0
                u[j] = UInt8(truncatingIfNeeded: (Int32(bitPattern: (c + magic).bitPattern) &- 0x4B40_0000) &- qmin)
            }
        }
        precondition(nan == 0, "cannot quantize NaN activations")
    }

    /// (min(0, min x), max(0, max x)) over n floats, NaN ignored (as `QuantFormat.params(fitting:)`).
    @inline(__always)
    public static func range(_ x: UnsafePointer<Float>, _ n: Int) -> (min: Float, max: Float) {
        var lo = SIMD16<Float>(), hi = SIMD16<Float>()
        var j = 0
        while j + 16 <= n {
            let v = load16(x + j)
            for i in 0..<16 {
                lo[i] = v[i] < lo[i] ? v[i] : lo[i]
                hi[i] = v[i] > hi[i] ? v[i] : hi[i]
            }
            j += 16
        }
        var l: Float = 0, h: Float = 0
        for i in 0..<16 { l = Swift.min(l, lo[i]); h = Swift.max(h, hi[i]) }
        while j < n { l = Swift.min(l, x[j]); h = Swift.max(h, x[j]); j += 1 }
        return (l, h)
    }

    /// Weight-row block of the W8A8 GEMM (a multiple of 4) and its column (k) block.
    static let w8a8RowBlock = 32
    static let w8a8ColumnBlock = 2048

    /// The W8A8 product of `m` activation rows with an int8 weight [n, k]:
    /// y[i·n + r] = Float(Σ_j w[r,j]·u[i,j] − zpU[i]·rowSums[r]) · (xScales[i]·wScales[r]),
    /// where u are offset codes and zpU[i] = zero point − qmin of row i. Weight rows are split
    /// across up to `threads` threads when the product is large.
    public static func w8a8(weight w: UnsafePointer<Int8>, rowSums: UnsafePointer<Int32>, scales sw: UnsafePointer<Float>,
                            n: Int, k: Int, codes u: UnsafePointer<UInt8>, m: Int,
                            inputScales sx: UnsafePointer<Float>, inputZeroPoints zpU: UnsafePointer<Int32>,
                            into y: UnsafeMutablePointer<Float>, threads: Int = gemmThreadCount) {
        let rb = w8a8RowBlock
        let blocks = (n + rb - 1) / rb
        let work = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
        let parallel = threads > 1 && blocks > 1 && (work.overflow || work.partialValue >= gemmParallelThreshold)
        let args = W8A8Args(w: w, rowSums: rowSums, sw: sw, n: n, k: k, u: u, m: m, sx: sx, zpU: zpU, y: y)
        if parallel {
            let t = min(threads, blocks)
            DispatchQueue.concurrentPerform(iterations: t) { i in
                args.rows(from: (blocks * i / t) * rb, to: min(n, (blocks * (i + 1) / t) * rb))
            }
        } else {
            args.rows(from: 0, to: n)
        }
    }
}

/// The operands of one W8A8 product (raw pointers; the caller keeps them alive).
struct W8A8Args: @unchecked Sendable {
    let w: UnsafePointer<Int8>, rowSums: UnsafePointer<Int32>, sw: UnsafePointer<Float>
    let n: Int, k: Int
    let u: UnsafePointer<UInt8>, m: Int
    let sx: UnsafePointer<Float>, zpU: UnsafePointer<Int32>
    let y: UnsafeMutablePointer<Float>

    @inline(__always)
    func output(_ acc: Int32, row i: Int, weightRow r: Int) {
        y[i * n + r] = Float(acc &- zpU[i] &* rowSums[r]) * (sx[i] * sw[r])
    }

    /// Output columns (weight rows) r0..<r1 for every activation row.
    func rows(from r0: Int, to r1: Int) {
        if m < 4 {
            // GEMV: stream each weight row once per activation row.
            for i in 0..<m {
                for r in r0..<r1 { output(QuantKernels.dotU8(w + r * k, u + i * k, k), row: i, weightRow: r) }
            }
            return
        }
        let rb = QuantKernels.w8a8RowBlock, kb = QuantKernels.w8a8ColumnBlock
        let m4 = m & ~3
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: m4 * rb) { scratch in
            let acc = scratch.baseAddress!
            var b0 = r0
            while b0 < r1 {
                let count = min(rb, r1 - b0), count4 = count & ~3
                acc.update(repeating: 0, count: m4 * rb)
                var k0 = 0
                while k0 < k {
                    let kc = min(kb, k - k0)
                    var i = 0
                    while i < m4 {
                        var r = 0
                        while r < count4 {
                            QuantKernels.tile4x4(w + (b0 + r) * k + k0, k, u + i * k + k0, k, kc, acc + i * rb + r, rb)
                            r += 4
                        }
                        i += 4
                    }
                    k0 += kc
                }
                for i in 0..<m4 {
                    for r in 0..<count4 { output(acc[i * rb + r], row: i, weightRow: b0 + r) }
                    for r in count4..<count { output(QuantKernels.dotU8(w + (b0 + r) * k, u + i * k, k), row: i, weightRow: b0 + r) }
                }
                for i in m4..<m {
                    for r in 0..<count { output(QuantKernels.dotU8(w + (b0 + r) * k, u + i * k, k), row: i, weightRow: b0 + r) }
                }
                b0 += count
            }
        }
    }
}
