import Foundation

/// The element-wise and row-wise kernels of a transformer's forward pass (softmax, norms,
/// activations, residual adds), SIMD over contiguous rows. Projections go through `sgemm`.
enum VectorKernels {
    typealias Vec = SIMD16<Float>
    static let width = Vec.scalarCount

    // MARK: exp

    /// e^x per lane, Cephes' single-precision range reduction and degree-5 polynomial
    /// (about 1 ulp). Inputs are clamped to [−87.3, 88.3], so 2ⁿ always has a normal exponent:
    /// far below, the result is ~1e-38 rather than 0; far above, ~2e38 rather than +inf (softmax
    /// and SiLU never need more range).
    /// Only arithmetic and bit casts: Swift's generic SIMD float→int conversions and `rounded`
    /// run element by element, so the rounding uses the 1.5·2²³ "magic number" instead.
    @inline(__always)
    static func exp(_ x: Vec) -> Vec {
        let magic = Vec(repeating: 12_582_912)   // 1.5·2²³: adding it rounds to an integer
        let v0 = pointwiseMin(pointwiseMax(x, Vec(repeating: -87.33654)), Vec(repeating: 88.37626))
        // n = round(x / ln 2), held in the low mantissa bits of t; x − n·ln 2 in two exact parts.
        let t = v0 * 1.442695040888963 + magic
        let n = t - magic
        var v = v0 - n * 0.693359375
        v = v + n * 2.12194440e-4
        var p = Vec(repeating: 1.9875691500e-4)
        p = p * v + 1.3981999507e-3
        p = p * v + 8.3334519073e-3
        p = p * v + 4.1665795894e-2
        p = p * v + 1.6666665459e-1
        p = p * v + 5.0000001201e-1
        let r = p * v * v + v + 1
        // 2ⁿ by building the exponent bits directly: t's bits are magic's bits + n.
        let nInt = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((nInt &+ 127) &<< 23, to: Vec.self)
        return r * scale
    }

    /// Scalar twin of `exp` for loop tails, so tails and bodies round identically.
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(Vec(repeating: x))[0] }

    // MARK: softmax

    /// Softmax of `count` values in place, max-subtracted; entries that are −inf get 0.
    static func softmax(_ p: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxVec = Vec(repeating: -.infinity)
        var i = 0
        while i + width <= count {
            maxVec = lanewiseMax(maxVec, UnsafeRawPointer(p + i).loadUnaligned(as: Vec.self))
            i += width
        }
        var m = horizontalMax(maxVec)
        while i < count { m = Swift.max(m, p[i]); i += 1 }
        if m == -.infinity {   // every key masked: no distribution, emit zeros rather than NaN
            p.update(repeating: 0, count: count)
            return
        }
        var sumVec = Vec(repeating: 0)
        let mv = Vec(repeating: m)
        i = 0
        while i + width <= count {
            let e = exp(UnsafeRawPointer(p + i).loadUnaligned(as: Vec.self) - mv)
            UnsafeMutableRawPointer(p + i).storeBytes(of: e, as: Vec.self)
            sumVec += e
            i += width
        }
        var sum = sumVec.sum()
        while i < count { let e = exp(p[i] - m); p[i] = e; sum += e; i += 1 }
        scale(p, count: count, by: 1 / sum)
    }

    /// The larger of each pair of lanes, as one compare and blend. (`pointwiseMax` and `.max()`
    /// compile to a lane-by-lane loop with NaN checks, which made softmax's max pass slower
    /// than its exp pass.)
    @inline(__always)
    static func lanewiseMax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .> a) }

    /// The largest lane, by halving.
    @inline(__always)
    static func horizontalMax(_ v: Vec) -> Float {
        let h8 = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let h4 = h8.lowHalf.replacing(with: h8.highHalf, where: h8.highHalf .> h8.lowHalf)
        let h2 = h4.lowHalf.replacing(with: h4.highHalf, where: h4.highHalf .> h4.lowHalf)
        return Swift.max(h2[0], h2[1])
    }

    // MARK: norms

    /// y = x / sqrt(mean(x²) + eps) · weight for each row of `rows`×`dim` (Llama's RMSNorm).
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                        rows: Int, dim: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * dim, yr = y + r * dim
            let ss = dot(xr, xr, count: dim)
            let inv = 1 / (ss / Float(dim) + eps).squareRoot()
            var i = 0
            while i + width <= dim {
                let v = load(xr + i) * inv * load(weight + i)
                store(v, yr + i)
                i += width
            }
            while i < dim { yr[i] = xr[i] * inv * weight[i]; i += 1 }
        }
    }

    /// y = (x − mean) / sqrt(var + eps) · weight + bias per row (biased variance, as torch).
    static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          eps: Float, rows: Int, dim: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * dim, yr = y + r * dim
            let mean = sum(xr, count: dim) / Float(dim)
            // Two passes (mean, then squared deviations) so a large mean does not cancel.
            var acc = Vec(repeating: 0)
            let mv = Vec(repeating: mean)
            var i = 0
            while i + width <= dim { let d = load(xr + i) - mv; acc += d * d; i += width }
            var ss = acc.sum()
            while i < dim { let d = xr[i] - mean; ss += d * d; i += 1 }
            let inv = 1 / (ss / Float(dim) + eps).squareRoot()
            i = 0
            while i + width <= dim {
                let v = (load(xr + i) - mv) * inv * load(weight + i) + load(bias + i)
                store(v, yr + i)
                i += width
            }
            while i < dim { yr[i] = (xr[i] - mean) * inv * weight[i] + bias[i]; i += 1 }
        }
    }

    // MARK: element-wise

    /// a += b, `count` values.
    static func add(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + width <= count { store(load(a + i) + load(b + i), a + i); i += width }
        while i < count { a[i] += b[i]; i += 1 }
    }

    /// Each row of a `rows`×`dim` matrix += `vector` (a bias).
    static func addRows(_ a: UnsafeMutablePointer<Float>, _ vector: UnsafePointer<Float>, rows: Int, dim: Int) {
        for r in 0..<rows { add(a + r * dim, vector, count: dim) }
    }

    /// a *= b, `count` values.
    static func multiply(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + width <= count { store(load(a + i) * load(b + i), a + i); i += width }
        while i < count { a[i] *= b[i]; i += 1 }
    }

    static func scale(_ a: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        var i = 0
        while i + width <= count { store(load(a + i) * s, a + i); i += width }
        while i < count { a[i] *= s; i += 1 }
    }

    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vec(repeating: 0)
        var i = 0
        while i + width <= count { acc += load(a + i) * load(b + i); i += width }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    static func sum(_ a: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vec(repeating: 0)
        var i = 0
        while i + width <= count { acc += load(a + i); i += width }
        var s = acc.sum()
        while i < count { s += a[i]; i += 1 }
        return s
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }
    @inline(__always) static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
    }
}
