/// The dequantize-on-the-fly GEMV of packed 2/4/8-bit codes (3-bit runs from a nibble copy, see
/// `QuantizedWeight`) with Float32 activations, for 1…m input rows at once: each weight row is
/// read from memory once per call and its decoded codes meet every input row while they are in
/// registers, so a small batch costs one weight stream instead of m.
///
/// Layout: one "step" is `QuantLanes.count` bytes of a row; a decoder turns it into P plane
/// vectors (8-bit: 1, 4-bit: 2, 2-bit: 4), lane i of plane q being code P·(b+i)+q of the row
/// (b = the step's first byte). The input rows are split once per call into the same P planes
/// (plane q holds x[P·b+q]), so code and activation meet lane for lane with no shuffle.
/// Sub-byte codes are read unsigned (c + offset, see `flip`), the offset folded into the zero
/// point with the group sums of x: y = Σ_g s_g·(Σ c_u·x − (zp_g + offset)·Σ_g x).
///
/// The lane width follows the build: 16 on AVX-512 (PARE_AVX512), 8 on AVX2.
public enum QuantLanes {
    #if PARE_AVX512
    public typealias F = SIMD16<Float>
    public typealias I = SIMD16<Int32>
    #else
    public typealias F = SIMD8<Float>
    public typealias I = SIMD8<Int32>
    #endif
    public static var count: Int { F.scalarCount }
}

/// Turns one step of packed bytes into up to four plane vectors (unused planes are zero and
/// vanish once the kernel is specialized).
public protocol QuantPlaneDecoder {
    /// Codes a byte holds.
    static var planes: Int { get }
    static func decode(_ p: UnsafePointer<UInt8>, flip: QuantLanes.I)
        -> (QuantLanes.F, QuantLanes.F, QuantLanes.F, QuantLanes.F)
}

extension QuantPlaneDecoder {
    /// L bytes zero-extended to Int32 lanes (vpmovzxbd).
    @inline(__always)
    static func bytes(_ p: UnsafePointer<UInt8>) -> QuantLanes.I {
        var v = QuantLanes.I()
        for i in 0..<QuantLanes.I.scalarCount { v[i] = Int32(p[i]) }
        return v
    }

    /// Int32 lanes to Float lanes (vcvtdq2ps); the lane loop, not the generic initializer,
    /// which is not inlined.
    @inline(__always)
    static func float(_ v: QuantLanes.I) -> QuantLanes.F {
        var f = QuantLanes.F()
        for i in 0..<QuantLanes.F.scalarCount { f[i] = Float(v[i]) }
        return f
    }
}

/// Signed 8-bit codes, one plane (sign-extended: no offset).
public enum SignedByteCodes: QuantPlaneDecoder {
    public static var planes: Int { 1 }
    @inline(__always)
    public static func decode(_ p: UnsafePointer<UInt8>, flip: QuantLanes.I)
        -> (QuantLanes.F, QuantLanes.F, QuantLanes.F, QuantLanes.F) {
        var v = QuantLanes.I()
        for i in 0..<QuantLanes.I.scalarCount { v[i] = Int32(Int8(bitPattern: p[i])) }
        return (float(v), .zero, .zero, .zero)
    }
}

/// Unsigned 8-bit codes, one plane.
public enum UnsignedByteCodes: QuantPlaneDecoder {
    public static var planes: Int { 1 }
    @inline(__always)
    public static func decode(_ p: UnsafePointer<UInt8>, flip: QuantLanes.I)
        -> (QuantLanes.F, QuantLanes.F, QuantLanes.F, QuantLanes.F) {
        (float(bytes(p)), .zero, .zero, .zero)
    }
}

/// 4-bit codes: low nibble (even code), high nibble (odd code).
public enum NibbleCodes: QuantPlaneDecoder {
    public static var planes: Int { 2 }
    @inline(__always)
    public static func decode(_ p: UnsafePointer<UInt8>, flip: QuantLanes.I)
        -> (QuantLanes.F, QuantLanes.F, QuantLanes.F, QuantLanes.F) {
        let v = bytes(p) ^ flip
        return (float(v & 15), float(v &>> 4), .zero, .zero)
    }
}

/// 2-bit codes: four a byte, lowest bits first.
public enum CrumbCodes: QuantPlaneDecoder {
    public static var planes: Int { 4 }
    @inline(__always)
    public static func decode(_ p: UnsafePointer<UInt8>, flip: QuantLanes.I)
        -> (QuantLanes.F, QuantLanes.F, QuantLanes.F, QuantLanes.F) {
        let v = bytes(p) ^ flip
        return (float(v & 3), float((v &>> 2) & 3), float((v &>> 4) & 3), float(v &>> 6))
    }
}

/// The operands of one quantized GEMV over weight rows r0..<r1 (raw pointers; the caller keeps
/// them alive).
public struct QuantGEMVOperands: @unchecked Sendable {
    /// Execution codes, `rowBytes` a row.
    public var codes: UnsafePointer<UInt8>
    public var rowBytes: Int
    /// Weight rows (outputs) and columns (inputs).
    public var rows: Int, columns: Int
    /// Steps of `QuantLanes.count` bytes per scale group, and groups per row (1 = the whole row,
    /// whose codes past `groupSteps` steps are the scalar tail).
    public var groupSteps: Int, groupsPerRow: Int
    /// One scale (and zero point) for the whole tensor instead of one per group.
    public var perTensor: Bool
    public var scales: UnsafePointer<Float>
    /// Zero points plus the unsigned-read offset, as Float (nil: all zero).
    public var shiftedZeroPoints: UnsafePointer<Float>?
    /// Zero points as stored (for the scalar tail).
    public var zeroPoints: UnsafePointer<Int32>
    /// Input rows: m, the original rows (x + i·columns, for the tail), their planes
    /// (plane q of row i at planes + i·planeRow + q·planeStride) and group sums (m·groupsPerRow).
    public var m: Int
    public var x: UnsafePointer<Float>
    public var planes: UnsafePointer<Float>
    public var planeStride: Int, planeRow: Int
    public var groupSums: UnsafePointer<Float>
    /// Output y[i·rows + r].
    public var y: UnsafeMutablePointer<Float>
    public var flip: Int32
    /// Bits and signedness of the stored codes (for the scalar tail).
    public var bits: Int, signed: Bool
    public var tailCodes: UnsafePointer<UInt8>
    public var tailRowBytes: Int

    @inline(__always)
    func group(_ r: Int, _ g: Int) -> Int { perTensor ? 0 : r * groupsPerRow + g }

    /// Weight rows r0..<r1 for every input row. Each weight row meets all input rows while it
    /// is in L1, so the weights stream from memory once whatever m is; with `fourAtOnce` the
    /// decoded codes are shared by four input rows in registers.
    @inline(__always)
    public func run<D: QuantPlaneDecoder>(_ decoder: D.Type, rows r0: Int, _ r1: Int, fourAtOnce: Bool = false) {
        if fourAtOnce && m > 1 {
            for r in r0..<r1 {
                var i = 0
                while i < m { four(D.self, row: r, inputs: i, count: min(4, m - i)); i += 4 }
            }
        } else {
            for r in r0..<r1 { for i in 0..<m { one(D.self, row: r, input: i) } }
        }
    }

    /// The codes of row r past the whole steps (one group spanning the row), scalar.
    @inline(__always)
    func tail(row r: Int, input i: Int, planes: Int) -> Float {
        let start = groupsPerRow * groupSteps * QuantLanes.count * planes
        guard start < columns else { return 0 }
        let gi = group(r, 0)
        let row = tailCodes + r * tailRowBytes, xi = x + i * columns
        var t: Float = 0
        for j in start..<columns {
            t += Float(BitPacking.code(row, j, bits: bits, signed: signed) - zeroPoints[gi]) * xi[j]
        }
        return t * scales[gi]
    }

    // One input row (decode): each group's codes meet x in fresh partial sums, unscaled, and
    // the group's scale is applied once to the partials (one FMA a plane a group), so a step costs
    // only decode + FMA. Two steps at a time into separate partials keep per-channel rows (one
    // long group) from waiting on the FMA latency. The zero-point correction is a separate
    // scalar pass over the groups, outside the streaming loop.

    @inline(__always)
    func one<D: QuantPlaneDecoder>(_ decoder: D.Type, row r: Int, input i: Int) {
        let L = QuantLanes.count, P = D.planes
        let flipv = QuantLanes.I(repeating: flip)
        let w = codes + r * rowBytes
        let x = planes + i * planeRow, sums = groupSums + i * groupsPerRow
        let x1 = x + planeStride, x2 = x + 2 * planeStride, x3 = x + 3 * planeStride
        let scaleBase = perTensor ? 0 : r &* groupsPerRow, scaleStride = perTensor ? 0 : 1
        var a0 = QuantLanes.F(), a1 = QuantLanes.F()
        let stepsPerGroup = groupSteps &* L
        var b = 0
        for g in 0..<groupsPerRow {
            let sv = QuantLanes.F(repeating: scales[scaleBase &+ g &* scaleStride])
            let end = b &+ stepsPerGroup
            var p0 = QuantLanes.F(), p1 = QuantLanes.F(), p2 = QuantLanes.F(), p3 = QuantLanes.F()
            if P == 4 {
                while b < end {
                    let c = D.decode(w + b, flip: flipv)
                    p0.addProduct(c.0, QuantKernels.loadLanes(x + b))
                    p1.addProduct(c.1, QuantKernels.loadLanes(x1 + b))
                    p2.addProduct(c.2, QuantKernels.loadLanes(x2 + b))
                    p3.addProduct(c.3, QuantKernels.loadLanes(x3 + b))
                    b &+= L
                }
            } else {
                while b &+ 2 &* L <= end {
                    let c = D.decode(w + b, flip: flipv), d = D.decode(w + b + L, flip: flipv)
                    p0.addProduct(c.0, QuantKernels.loadLanes(x + b))
                    p2.addProduct(d.0, QuantKernels.loadLanes(x + b + L))
                    if P > 1 {
                        p1.addProduct(c.1, QuantKernels.loadLanes(x1 + b))
                        p3.addProduct(d.1, QuantKernels.loadLanes(x1 + b + L))
                    }
                    b &+= 2 &* L
                }
                if b < end {
                    let c = D.decode(w + b, flip: flipv)
                    p0.addProduct(c.0, QuantKernels.loadLanes(x + b))
                    if P > 1 { p1.addProduct(c.1, QuantKernels.loadLanes(x1 + b)) }
                    b = end
                }
            }
            a0.addProduct(p0 + p2, sv)
            a1.addProduct(p1 + p3, sv)
        }
        var correction: Float = 0
        if let zp = shiftedZeroPoints {
            for g in 0..<groupsPerRow {
                let gi = scaleBase &+ g &* scaleStride
                correction += scales[gi] * zp[gi] * sums[g]
            }
        }
        y[i &* rows &+ r] = (a0 + a1).sum() - correction + tail(row: r, input: i, planes: P)
    }

    /// Up to four input rows i..<i+count against weight row r; missing rows repeat row i and
    /// are not written.
    @inline(__always)
    func four<D: QuantPlaneDecoder>(_ decoder: D.Type, row r: Int, inputs i: Int, count: Int) {
        let L = QuantLanes.count, P = D.planes
        let flipv = QuantLanes.I(repeating: flip)
        let w = codes + r * rowBytes
        let i1 = i + min(1, count - 1), i2 = i + min(2, count - 1), i3 = i + min(3, count - 1)
        let x0 = planes + i * planeRow, x1 = planes + i1 * planeRow
        let x2 = planes + i2 * planeRow, x3 = planes + i3 * planeRow
        // Row t's accumulators: e_t for planes 0 and 2, o_t for planes 1 and 3.
        var e0 = QuantLanes.F(), e1 = QuantLanes.F(), e2 = QuantLanes.F(), e3 = QuantLanes.F()
        var o0 = QuantLanes.F(), o1 = QuantLanes.F(), o2 = QuantLanes.F(), o3 = QuantLanes.F()
        var corr = SIMD4<Float>()
        for g in 0..<groupsPerRow {
            let gi = group(r, g), s = scales[gi]
            let sv = QuantLanes.F(repeating: s)
            var b = g &* groupSteps &* L
            let end = b &+ groupSteps &* L
            while b < end {
                let c = D.decode(w + b, flip: flipv)
                let c0 = c.0 * sv
                if P == 1 {
                    // One plane: alternate steps between the two accumulator sets.
                    e0.addProduct(c0, QuantKernels.loadLanes(x0 + b))
                    e1.addProduct(c0, QuantKernels.loadLanes(x1 + b))
                    e2.addProduct(c0, QuantKernels.loadLanes(x2 + b))
                    e3.addProduct(c0, QuantKernels.loadLanes(x3 + b))
                    b &+= L
                    if b < end {
                        let d = D.decode(w + b, flip: flipv).0 * sv
                        o0.addProduct(d, QuantKernels.loadLanes(x0 + b))
                        o1.addProduct(d, QuantKernels.loadLanes(x1 + b))
                        o2.addProduct(d, QuantKernels.loadLanes(x2 + b))
                        o3.addProduct(d, QuantKernels.loadLanes(x3 + b))
                        b &+= L
                    }
                    continue
                }
                e0.addProduct(c0, QuantKernels.loadLanes(x0 + b))
                e1.addProduct(c0, QuantKernels.loadLanes(x1 + b))
                e2.addProduct(c0, QuantKernels.loadLanes(x2 + b))
                e3.addProduct(c0, QuantKernels.loadLanes(x3 + b))
                let c1 = c.1 * sv, o = b &+ planeStride
                o0.addProduct(c1, QuantKernels.loadLanes(x0 + o))
                o1.addProduct(c1, QuantKernels.loadLanes(x1 + o))
                o2.addProduct(c1, QuantKernels.loadLanes(x2 + o))
                o3.addProduct(c1, QuantKernels.loadLanes(x3 + o))
                if P > 2 {
                    let c2 = c.2 * sv, p2 = b &+ 2 &* planeStride
                    e0.addProduct(c2, QuantKernels.loadLanes(x0 + p2))
                    e1.addProduct(c2, QuantKernels.loadLanes(x1 + p2))
                    e2.addProduct(c2, QuantKernels.loadLanes(x2 + p2))
                    e3.addProduct(c2, QuantKernels.loadLanes(x3 + p2))
                    let c3 = c.3 * sv, p3 = p2 &+ planeStride
                    o0.addProduct(c3, QuantKernels.loadLanes(x0 + p3))
                    o1.addProduct(c3, QuantKernels.loadLanes(x1 + p3))
                    o2.addProduct(c3, QuantKernels.loadLanes(x2 + p3))
                    o3.addProduct(c3, QuantKernels.loadLanes(x3 + p3))
                }
                b &+= L
            }
            if let zp = shiftedZeroPoints {
                let k = s * zp[gi]
                corr += k * SIMD4<Float>(groupSums[i * groupsPerRow + g], groupSums[i1 * groupsPerRow + g],
                                         groupSums[i2 * groupsPerRow + g], groupSums[i3 * groupsPerRow + g])
            }
        }
        let out = SIMD4<Float>((e0 + o0).sum(), (e1 + o1).sum(), (e2 + o2).sum(), (e3 + o3).sum()) - corr
        for t in 0..<count { y[(i + t) * rows + r] = out[t] + tail(row: r, input: i + t, planes: P) }
    }
}

extension QuantKernels {
    @inline(__always)
    static func loadLanes(_ p: UnsafePointer<Float>) -> QuantLanes.F {
        UnsafeRawPointer(p).loadUnaligned(as: QuantLanes.F.self)
    }
}
