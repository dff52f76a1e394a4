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
