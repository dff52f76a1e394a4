// Generated register-tile kernels (fully unrolled so every accumulator lives in a register).
// Regenerate rather than edit by hand if the tile shape changes.

#if PARE_AVX512
/// Rows of the register tile (AVX-512: 14×32 tile, 28 zmm accumulators).
let gemmMR = 14
let gemmNR = 32
/// 14×32 register tile: C[0..<14, 0..<32] += alpha · Apanel·Bpanel over kc.
/// `a` holds kc groups of 14 floats (one column of the A micro-panel each), `b` kc groups of 32.
@inline(__always)
func gemmMicrokernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float) {
    var c0_0 = SIMD16<Float>(); var c0_1 = SIMD16<Float>();
    var c1_0 = SIMD16<Float>(); var c1_1 = SIMD16<Float>();
    var c2_0 = SIMD16<Float>(); var c2_1 = SIMD16<Float>();
    var c3_0 = SIMD16<Float>(); var c3_1 = SIMD16<Float>();
    var c4_0 = SIMD16<Float>(); var c4_1 = SIMD16<Float>();
    var c5_0 = SIMD16<Float>(); var c5_1 = SIMD16<Float>();
    var c6_0 = SIMD16<Float>(); var c6_1 = SIMD16<Float>();
    var c7_0 = SIMD16<Float>(); var c7_1 = SIMD16<Float>();
    var c8_0 = SIMD16<Float>(); var c8_1 = SIMD16<Float>();
    var c9_0 = SIMD16<Float>(); var c9_1 = SIMD16<Float>();
    var c10_0 = SIMD16<Float>(); var c10_1 = SIMD16<Float>();
    var c11_0 = SIMD16<Float>(); var c11_1 = SIMD16<Float>();
    var c12_0 = SIMD16<Float>(); var c12_1 = SIMD16<Float>();
    var c13_0 = SIMD16<Float>(); var c13_1 = SIMD16<Float>();
    var pa = a
    var pb = UnsafeRawPointer(b)
    var p = 0
    while p < kc {
        let b0 = pb.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
        let b1 = pb.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        let a0 = SIMD16<Float>(repeating: pa[0])
        c0_0 = c0_0.addingProduct(a0, b0)
        c0_1 = c0_1.addingProduct(a0, b1)
        let a1 = SIMD16<Float>(repeating: pa[1])
        c1_0 = c1_0.addingProduct(a1, b0)
        c1_1 = c1_1.addingProduct(a1, b1)
        let a2 = SIMD16<Float>(repeating: pa[2])
        c2_0 = c2_0.addingProduct(a2, b0)
        c2_1 = c2_1.addingProduct(a2, b1)
        let a3 = SIMD16<Float>(repeating: pa[3])
        c3_0 = c3_0.addingProduct(a3, b0)
        c3_1 = c3_1.addingProduct(a3, b1)
        let a4 = SIMD16<Float>(repeating: pa[4])
        c4_0 = c4_0.addingProduct(a4, b0)
        c4_1 = c4_1.addingProduct(a4, b1)
        let a5 = SIMD16<Float>(repeating: pa[5])
        c5_0 = c5_0.addingProduct(a5, b0)
        c5_1 = c5_1.addingProduct(a5, b1)
        let a6 = SIMD16<Float>(repeating: pa[6])
        c6_0 = c6_0.addingProduct(a6, b0)
        c6_1 = c6_1.addingProduct(a6, b1)
        let a7 = SIMD16<Float>(repeating: pa[7])
        c7_0 = c7_0.addingProduct(a7, b0)
        c7_1 = c7_1.addingProduct(a7, b1)
        let a8 = SIMD16<Float>(repeating: pa[8])
        c8_0 = c8_0.addingProduct(a8, b0)
        c8_1 = c8_1.addingProduct(a8, b1)
        let a9 = SIMD16<Float>(repeating: pa[9])
        c9_0 = c9_0.addingProduct(a9, b0)
        c9_1 = c9_1.addingProduct(a9, b1)
        let a10 = SIMD16<Float>(repeating: pa[10])
        c10_0 = c10_0.addingProduct(a10, b0)
        c10_1 = c10_1.addingProduct(a10, b1)
        let a11 = SIMD16<Float>(repeating: pa[11])
        c11_0 = c11_0.addingProduct(a11, b0)
        c11_1 = c11_1.addingProduct(a11, b1)
        let a12 = SIMD16<Float>(repeating: pa[12])
        c12_0 = c12_0.addingProduct(a12, b0)
        c12_1 = c12_1.addingProduct(a12, b1)
        let a13 = SIMD16<Float>(repeating: pa[13])
        c13_0 = c13_0.addingProduct(a13, b0)
        c13_1 = c13_1.addingProduct(a13, b1)
        pa += 14
        pb += 128
        p &+= 1
    }
    let va = SIMD16<Float>(repeating: alpha)
    let cr = UnsafeMutableRawPointer(c)
    let rowBytes = ldc &* 4
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self).addingProduct(va, c0_0), toByteOffset: 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self).addingProduct(va, c0_1), toByteOffset: 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 1 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c1_0), toByteOffset: 1 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 1 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c1_1), toByteOffset: 1 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 2 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c2_0), toByteOffset: 2 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 2 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c2_1), toByteOffset: 2 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 3 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c3_0), toByteOffset: 3 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 3 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c3_1), toByteOffset: 3 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 4 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c4_0), toByteOffset: 4 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 4 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c4_1), toByteOffset: 4 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 5 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c5_0), toByteOffset: 5 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 5 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c5_1), toByteOffset: 5 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 6 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c6_0), toByteOffset: 6 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 6 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c6_1), toByteOffset: 6 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 7 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c7_0), toByteOffset: 7 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 7 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c7_1), toByteOffset: 7 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 8 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c8_0), toByteOffset: 8 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 8 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c8_1), toByteOffset: 8 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 9 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c9_0), toByteOffset: 9 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 9 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c9_1), toByteOffset: 9 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 10 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c10_0), toByteOffset: 10 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 10 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c10_1), toByteOffset: 10 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 11 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c11_0), toByteOffset: 11 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 11 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c11_1), toByteOffset: 11 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 12 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c12_0), toByteOffset: 12 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 12 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c12_1), toByteOffset: 12 &* rowBytes &+ 64, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 13 &* rowBytes &+ 0, as: SIMD16<Float>.self).addingProduct(va, c13_0), toByteOffset: 13 &* rowBytes &+ 0, as: SIMD16<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 13 &* rowBytes &+ 64, as: SIMD16<Float>.self).addingProduct(va, c13_1), toByteOffset: 13 &* rowBytes &+ 64, as: SIMD16<Float>.self)
}
#else
/// Rows of the register tile (AVX2: 6×16 tile, 12 ymm accumulators).
let gemmMR = 6
let gemmNR = 16
/// 6×16 register tile: C[0..<6, 0..<16] += alpha · Apanel·Bpanel over kc.
/// `a` holds kc groups of 6 floats (one column of the A micro-panel each), `b` kc groups of 16.
@inline(__always)
func gemmMicrokernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float) {
    var c0_0 = SIMD8<Float>(); var c0_1 = SIMD8<Float>();
    var c1_0 = SIMD8<Float>(); var c1_1 = SIMD8<Float>();
    var c2_0 = SIMD8<Float>(); var c2_1 = SIMD8<Float>();
    var c3_0 = SIMD8<Float>(); var c3_1 = SIMD8<Float>();
    var c4_0 = SIMD8<Float>(); var c4_1 = SIMD8<Float>();
    var c5_0 = SIMD8<Float>(); var c5_1 = SIMD8<Float>();
    var pa = a
    var pb = UnsafeRawPointer(b)
    var p = 0
    while p < kc {
        let b0 = pb.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self)
        let b1 = pb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let a0 = SIMD8<Float>(repeating: pa[0])
        c0_0 = c0_0.addingProduct(a0, b0)
        c0_1 = c0_1.addingProduct(a0, b1)
        let a1 = SIMD8<Float>(repeating: pa[1])
        c1_0 = c1_0.addingProduct(a1, b0)
        c1_1 = c1_1.addingProduct(a1, b1)
        let a2 = SIMD8<Float>(repeating: pa[2])
        c2_0 = c2_0.addingProduct(a2, b0)
        c2_1 = c2_1.addingProduct(a2, b1)
        let a3 = SIMD8<Float>(repeating: pa[3])
        c3_0 = c3_0.addingProduct(a3, b0)
        c3_1 = c3_1.addingProduct(a3, b1)
        let a4 = SIMD8<Float>(repeating: pa[4])
        c4_0 = c4_0.addingProduct(a4, b0)
        c4_1 = c4_1.addingProduct(a4, b1)
        let a5 = SIMD8<Float>(repeating: pa[5])
        c5_0 = c5_0.addingProduct(a5, b0)
        c5_1 = c5_1.addingProduct(a5, b1)
        pa += 6
        pb += 64
        p &+= 1
    }
    let va = SIMD8<Float>(repeating: alpha)
    let cr = UnsafeMutableRawPointer(c)
    let rowBytes = ldc &* 4
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self).addingProduct(va, c0_0), toByteOffset: 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self).addingProduct(va, c0_1), toByteOffset: 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 1 &* rowBytes &+ 0, as: SIMD8<Float>.self).addingProduct(va, c1_0), toByteOffset: 1 &* rowBytes &+ 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 1 &* rowBytes &+ 32, as: SIMD8<Float>.self).addingProduct(va, c1_1), toByteOffset: 1 &* rowBytes &+ 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 2 &* rowBytes &+ 0, as: SIMD8<Float>.self).addingProduct(va, c2_0), toByteOffset: 2 &* rowBytes &+ 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 2 &* rowBytes &+ 32, as: SIMD8<Float>.self).addingProduct(va, c2_1), toByteOffset: 2 &* rowBytes &+ 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 3 &* rowBytes &+ 0, as: SIMD8<Float>.self).addingProduct(va, c3_0), toByteOffset: 3 &* rowBytes &+ 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 3 &* rowBytes &+ 32, as: SIMD8<Float>.self).addingProduct(va, c3_1), toByteOffset: 3 &* rowBytes &+ 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 4 &* rowBytes &+ 0, as: SIMD8<Float>.self).addingProduct(va, c4_0), toByteOffset: 4 &* rowBytes &+ 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 4 &* rowBytes &+ 32, as: SIMD8<Float>.self).addingProduct(va, c4_1), toByteOffset: 4 &* rowBytes &+ 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 5 &* rowBytes &+ 0, as: SIMD8<Float>.self).addingProduct(va, c5_0), toByteOffset: 5 &* rowBytes &+ 0, as: SIMD8<Float>.self)
    cr.storeBytes(of: cr.loadUnaligned(fromByteOffset: 5 &* rowBytes &+ 32, as: SIMD8<Float>.self).addingProduct(va, c5_1), toByteOffset: 5 &* rowBytes &+ 32, as: SIMD8<Float>.self)
}
#endif
