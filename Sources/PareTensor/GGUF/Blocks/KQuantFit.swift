/// The scale searches of ggml's K-quant reference quantizers (`make_qkx2_quants` for Q4_K's
/// groups, `make_qx_quants` with rmse_type 1 for Q6_K's), with the same Float32 operations in
/// the same order and never fused, so the bytes match ggml's reference built without FP
/// contraction (`-ffp-contract=off`, which is also gguf-py's numpy arithmetic).
enum KQuantFit {
    /// ggml's `nearest_int`: round half to even (its 1.5·2²³ trick), for |x| < 2²²; a NaN or
    /// out-of-range value (which ggml asserts against) clamps instead of trapping.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int {
        guard x.isFinite else { return 0 }
        return Int(Swift.min(Swift.max(x, -4_194_303), 4_194_303).rounded(.toNearestOrEven))
    }

    /// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is all zero.
    static let groupMaxEps: Float = 1e-15

    /// `make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, false)`:
    /// an affine fit value ≈ scale·L − theMin with L in 0…nmax, the weighted squared error
    /// minimized over `nstep + 1` trial inverse scales. Returns (scale, theMin); fills `codes`.
    static func affine(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights w: UnsafePointer<Float>,
                       codes L: UnsafeMutablePointer<UInt8>, rmin: Float, rdelta: Float, nstep: Int) -> (scale: Float, theMin: Float) {
        var lo = x[0], hi = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < lo { lo = x[i] }
            if x[i] > hi { hi = x[i] }
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0..<n { L[i] = 0 }
            return (0, -lo)
        }
        let fmax = Float(nmax)
        var iscale = fmax / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - lo))))
            L[i] = UInt8(l)
            let diff = scale * Float(l) + lo - x[i]
            bestError += w[i] * (diff * diff)
        }
        guard nstep >= 1 else { return (scale, -lo) }
        var trial = [UInt8](repeating: 0, count: n)
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + fmax) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - lo))))
                trial[i] = UInt8(l)
                let fl = Float(l)
                sumL += w[i] * fl
                sumL2 += w[i] * fl * fl
                sumXL += w[i] * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            guard D > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                let diff = thisScale * Float(trial[i]) + thisMin - x[i]
                error += w[i] * (diff * diff)
            }
            if error < bestError {
                for i in 0..<n { L[i] = trial[i] }
                bestError = error
                scale = thisScale
                lo = thisMin
            }
        }
        return (scale, -lo)
    }

    /// `make_qx_quants(n, nmax, x, L, 1, NULL)`: a symmetric fit value ≈ scale·(L − nmax), L in
    /// 0…2·nmax − 1, weighted by x², refined over 18 trial inverse scales. Returns the scale.
    static func symmetric(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, codes L: UnsafeMutablePointer<Int8>) -> Float {
        var peak: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax {
            amax = abs(x[i])
            peak = x[i]
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let fmax = Float(nmax)
        func code(_ iscale: Float, _ v: Float) -> Int { Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * v))) }
        var iscale = -fmax / peak
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = code(iscale, x[i])
            L[i] = Int8(l + nmax)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(fmax + 0.1 * Float(step)) / peak
            sumLX = 0; sumL2 = 0
            for i in 0..<n {
                let fl = Float(code(iscale, x[i]))
                let w = x[i] * x[i]
                sumLX += w * x[i] * fl
                sumL2 += w * fl * fl
            }
            if sumL2 > 0, sumLX * sumLX > best * sumL2 {
                for i in 0..<n { L[i] = Int8(code(iscale, x[i]) + nmax) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }
}
