/// What the fast quantized GEMV (`QuantGEMVOperands`) needs beyond the stored codes, prepared
/// once when a `QuantizedWeight` is made or loaded (and shared by its copies); the stored
/// encoding is untouched.
///
/// 3-bit codes (8 in 3 bytes as stored) run from a nibble copy (two codes a byte, read
/// unsigned as c + 4 for signed codes): 3-byte units cannot be widened into SIMD lanes with
/// one load, and the copy costs 4 extra bits a weight in memory, not on disk.
final class QuantizedExecution: Sendable {
    /// Which decoder runs the codes (none: the layout has no fast path, e.g. 5-bit codes or
    /// groups narrower than one SIMD step).
    enum Decoder: Sendable { case none, signedBytes, unsignedBytes, nibbles, crumbs }
    let decoder: Decoder
    var isFast: Bool { decoder != .none }
    /// Codes per byte of the execution codes.
    let planes: Int
    /// The execution codes when they differ from the stored ones (3-bit), else empty.
    let nibbles: [UInt8]
    let rowBytes: Int
    /// SIMD steps per group and the columns the steps cover (the rest is the scalar tail).
    let groupSteps: Int
    let coveredColumns: Int
    /// Zero point + unsigned-read offset per group as Float (empty when all are zero).
    let shiftedZeroPoints: [Float]
    let flip: Int32

    init(params: QuantParams, packed: [UInt8]) {
        let bits = params.format.bits, signed = params.format.signedCodes
        let k = params.columns, lanes = QuantLanes.count
        let decoder: Decoder
        switch bits {
        case 8: decoder = signed ? .signedBytes : .unsignedBytes
        case 4, 3: decoder = .nibbles
        case 2: decoder = .crumbs
        default: decoder = .none
        }
        let planes = bits == 8 ? 1 : bits == 2 ? 4 : 2
        let step = planes * lanes
        let wholeRow = params.groupsPerRow == 1
        // A group must be whole SIMD steps; one group spanning the row leaves a scalar tail.
        let usable = decoder != .none && (wholeRow || params.groupSize % step == 0)
        self.decoder = usable ? decoder : .none
        self.planes = planes
        self.groupSteps = wholeRow ? k / step : params.groupSize / step
        self.coveredColumns = params.groupsPerRow * groupSteps * step
        // Sub-byte signed codes are read as c + 2^(b−1): XOR of the sign bits (stored 4/2-bit)
        // or added when making the nibble copy (3-bit).
        let offset: Int32 = bits < 8 && signed ? Int32(1) << (bits - 1) : 0
        self.flip = !signed || bits == 8 || bits == 3 ? 0 : (bits == 4 ? 0x88 : 0xAA)
        if usable && (params.format.scheme == .affine || offset != 0) {
            shiftedZeroPoints = params.zeroPoints.map { Float($0 + offset) }
        } else {
            shiftedZeroPoints = []
        }
        if usable && bits == 3 {
            let codes = BitPacking.unpack(packed, rows: params.rows, columns: k, bits: 3, signed: signed)
            self.nibbles = BitPacking.pack(codes.map { $0 + offset }, rows: params.rows, columns: k, bits: 4)
            self.rowBytes = BitPacking.bytesPerRow(columns: k, bits: 4)
        } else {
            self.nibbles = []
            self.rowBytes = BitPacking.bytesPerRow(columns: k, bits: bits)
        }
    }
}

extension QuantizedWeight {
    /// y[i·out + r] for the m input rows at x (row-major [m, in]) with the fast GEMV; each
    /// weight row is read from memory once for all m rows. Returns false when the layout has
    /// no fast path.
    func fastGEMV(_ x: UnsafePointer<Float>, rows m: Int, into y: UnsafeMutablePointer<Float>) -> Bool {
        let exec = execution, decoder = exec.decoder
        guard decoder != .none else { return false }
        let k = params.columns, n = params.rows, gpr = params.groupsPerRow
        let covered = exec.coveredColumns, planesCount = exec.planes
        let gsize = params.groupSize
        let planeStride = covered / planesCount
        // x split into planes once per call (plane q of row i holds x_i[P·b + q]), and the
        // group sums of x that fold the zero points.
        let planeBuffer = planesCount == 1 ? 0 : m * covered
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, planeBuffer)) { pb in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, m * gpr)) { sb in
                let planes = pb.baseAddress!, sums = sb.baseAddress!
                for i in 0..<m {
                    let xi = x + i * k
                    if planesCount > 1 {
                        let pi = planes + i * covered
                        for b in 0..<planeStride {
                            for q in 0..<planesCount { pi[q * planeStride + b] = xi[planesCount * b + q] }
                        }
                    }
                    if !exec.shiftedZeroPoints.isEmpty {
                        for g in 0..<gpr {
                            var s: Float = 0
                            for j in (g * gsize)..<min((g + 1) * gsize, covered) { s += xi[j] }
                            sums[i * gpr + g] = s
                        }
                    }
                }
                let codes = exec.nibbles.isEmpty ? packed : exec.nibbles
                codes.withUnsafeBufferPointer { cw in
                packed.withUnsafeBufferPointer { pw in
                params.scales.withUnsafeBufferPointer { sc in
                params.zeroPoints.withUnsafeBufferPointer { zp in
                exec.shiftedZeroPoints.withUnsafeBufferPointer { sz in
                    let ops = QuantGEMVOperands(
                        codes: cw.baseAddress!, rowBytes: exec.rowBytes, rows: n, columns: k,
                        groupSteps: exec.groupSteps, groupsPerRow: gpr, perTensor: params.granularity == .tensor,
                        scales: sc.baseAddress!, shiftedZeroPoints: sz.isEmpty ? nil : sz.baseAddress!,
                        zeroPoints: zp.baseAddress!, m: m, x: x,
                        planes: planesCount == 1 ? x : UnsafePointer(planes), planeStride: planeStride,
                        planeRow: planesCount == 1 ? k : covered, groupSums: sums, y: y, flip: exec.flip,
                        bits: bits, signed: params.format.signedCodes, tailCodes: pw.baseAddress!, tailRowBytes: bytesPerRow)
                    // Layers from a few hundred KiB of fp32-equivalent work on split their rows
                    // across the cores at the dense GEMV's threshold (every projection of a
                    // SmolLM2 decode step): batch 1 is bandwidth- and decode-bound, and a second
                    // core adds both, while 2²¹ left all but the LM head on one core.
                    let threads = m * n * k >= gemvParallelThreshold ? min(gemmThreadCount, max(1, n / 8)) : 1
                    SparseThreads.parallelFor(threads) { t in
                        let r0 = n * t / threads, r1 = n * (t + 1) / threads
                        switch decoder {
                        case .none: break
                        case .signedBytes: ops.run(SignedByteCodes.self, rows: r0, r1, fourAtOnce: true)
                        case .unsignedBytes: ops.run(UnsignedByteCodes.self, rows: r0, r1, fourAtOnce: true)
                        case .nibbles: ops.run(NibbleCodes.self, rows: r0, r1, fourAtOnce: true)
                        case .crumbs: ops.run(CrumbCodes.self, rows: r0, r1, fourAtOnce: true)
                        }
                    }
                }
                }
                }
                }
                }
                return true
            }
        }
    }
}
