import Testing
@testable import PareTensor

/// The fast quantized GEMV (`QuantGEMVOperands`, 1…16 input rows sharing one weight stream)
/// against a scalar Double reference computed from the codes and parameters, and against
/// dequantize-then-fp32.
@Suite("Quantized GEMV kernels")
struct QuantGEMVTests {
    /// Σ_j (code − zp_g)·scale_g·x_j in Double, straight from the unpacked codes.
    static func scalarReference(_ q: QuantizedWeight, _ x: Tensor) -> (y: [Double], magnitude: [Double]) {
        let codes = q.codes, p = q.params
        var y = [Double](repeating: 0, count: x.rows * p.rows), mag = y
        for i in 0..<x.rows {
            for r in 0..<p.rows {
                var s = 0.0, a = 0.0
                for j in 0..<p.columns {
                    let g = p.group(row: r, column: j)
                    let t = Double(codes[r * p.columns + j] - p.zeroPoints[g]) * Double(p.scales[g]) * Double(x.data[i * p.columns + j])
                    s += t; a += abs(t)
                }
                y[i * p.rows + r] = s; mag[i * p.rows + r] = a
            }
        }
        return (y, mag)
    }

    /// 2 rows × 32 columns, int4 group 32 symmetric, x = 1: row 0 has codes (j mod 16) − 8 at
    /// scale 0.5, so y₀ = 0.5·2·(−8+…+7) = −8; row 1 all 7 at scale 0.25, so y₁ = 32·7·0.25 = 56.
    @Test func handComputedInt4Group32() throws {
        let codes = (0..<32).map { Int32($0 % 16 - 8) } + [Int32](repeating: 7, count: 32)
        let params = QuantParams(format: QuantFormat(bits: 4), granularity: .group(32), rows: 2, columns: 32,
                                 scales: [0.5, 0.25], zeroPoints: [0, 0])
        let q = QuantizedWeight(codes: codes, params: params)
        #expect(q.execution.isFast, "group 32 int4 takes the fast path")
        let y = q.forward(Tensor(shape: [1, 32], data: [Float](repeating: 1, count: 32)))
        #expect(y.data == [-8, 56])
    }

    /// Every bit width, scheme, signedness and granularity, odd row counts and column counts
    /// that are not multiples of the SIMD width, m = 1…17.
    @Test(arguments: [2, 3, 4, 8])
    func matchesScalarReference(bits: Int) throws {
        var rng = QuantTestRNG(UInt64(700 + bits))
        let shapes: [(rows: Int, columns: Int, granularities: [QuantGranularity])] = [
            (7, 256, [.channel, .tensor, .group(32), .group(64), .group(128)]),
            (5, 100, [.channel, .tensor]),
            (3, 37, [.channel]),
            (9, 384, [.group(128), .group(32)]),
        ]
        var fast = 0
        for shape in shapes {
            let w = rng.tensor(shape.rows, shape.columns)
            for granularity in shape.granularities {
                for (scheme, signed) in [(QuantScheme.symmetric, true), (.affine, false), (.affine, true)] {
                    let format = QuantFormat(bits: bits, scheme: scheme, signedCodes: signed)
                    let q = try QuantizedWeight(quantizing: w, format: format, granularity: granularity)
                    if q.execution.isFast { fast += 1 }
                    let dq = q.decoded()
                    for m in [1, 2, 3, 4, 5, 8, 16, 17] {
                        let x = rng.tensor(m, shape.columns, -2, 2)
                        let y = q.forward(x)
                        let (ref, mag) = Self.scalarReference(q, x)
                        let label = "\(bits) bits \(scheme) signed=\(signed) \(granularity) \(shape.rows)×\(shape.columns) m=\(m)"
                        let worst = zip(y.data, zip(ref, mag)).map { abs(Double($0) - $1.0) / max($1.1, 1e-6) }.max()!
                        #expect(worst < 1e-5, "\(label): relative error \(worst)")
                        #expect(maxAbsDiff(y, referenceForward(x, dq)) <= 1e-4 * Float(shape.columns).squareRoot() * 4, "\(label)")
                    }
                }
            }
        }
        // Most of these layouts must run the fast kernel, not the fallback.
        #expect(fast >= 20)
    }

    /// Layers large enough to split across threads give what one thread gives.
    @Test func threadedSmallBatch() throws {
        var rng = QuantTestRNG(77)
        let w = rng.tensor(1024, 2048)
        let q = try QuantizedWeight(quantizing: w, format: QuantFormat(bits: 4, scheme: .affine), granularity: .group(128))
        let x = rng.tensor(5, 2048, -1, 1)
        let saved = gemmThreadCount
        defer { gemmThreadCount = saved }
        gemmThreadCount = 1
        let one = q.forward(x)
        gemmThreadCount = 2
        #expect(q.forward(x).data == one.data)
    }

    /// The stored encoding is unchanged by the execution form: a 3-bit weight stores 3 bits a
    /// weight and decodes back to the same codes.
    @Test func threeBitStoresThreeBits() throws {
        var rng = QuantTestRNG(3)
        let q = try QuantizedWeight(quantizing: rng.tensor(4, 64), format: QuantFormat(bits: 3), granularity: .group(32))
        let stored = q.encoded()
        #expect(stored.payload.count == 4 * 24 + 8 * 4)
        let back = try QuantizedWeight(decoding: stored)
        #expect(back.packed == q.packed && back.codes == q.codes)
        let x = rng.tensor(2, 64)
        #expect(back.forward(x).data == q.forward(x).data)
    }
}
