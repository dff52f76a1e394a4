import Dispatch

/// Singular value decomposition W = U·diag(σ)·Vᵀ of a Float32 matrix, written in Swift (no
/// LAPACK on a fresh machine), computed in Double.
///
/// Algorithm: QR-preconditioned one-sided Jacobi (Hestenes), as in Drmač & Veselić's
/// "New fast and accurate Jacobi SVD algorithm" (simplified: no column pivoting, no second QR).
/// With p = min(m, n) ≤ q = max(m, n), let M be W or Wᵀ so that M is p×q:
///
/// 1. Householder QR of the tall Mᵀ = Q·R (q×p, R p×p upper triangular), blocked left-looking
///    so each reflector is read once per block of 16 columns that stay in cache.
/// 2. One-sided Jacobi on the columns of L = Rᵀ: plane rotations J with L·V_L = B until the
///    columns of B are orthogonal to 1e-13 relative. σ_i = ‖b_i‖, U_L = B·Σ⁻¹. Working on Rᵀ
///    rather than R converges in fewer sweeps (the QR step acts as one step of the QR
///    algorithm: the columns are already graded), and the Jacobi works on p×p instead of p×q.
/// 3. M = U_L·Σ·(Q·V_L)ᵀ: the right vectors are Q applied to V_L (the reflectors again, blocked).
///
/// Why Jacobi rather than Golub–Kahan bidiagonalization or a randomized range finder:
/// one-sided Jacobi computes every singular value to high relative accuracy (each rotation is
/// an exactly orthogonal 2×2 step on well-conditioned data), is short and easy to verify, and
/// every rotation is two dot-product-sized SIMD loops over contiguous columns. The energy
/// criterion needs the whole spectrum, so a full SVD is required anyway; a randomized range
/// finder would only help for `rank=k` with k ≪ p and gives approximate values. For a
/// 1024×4096 layer the whole decomposition takes a few seconds in release builds (see
/// `runLowRankBenchmark` in PareBench).
///
/// Left vectors of singular values that are zero (to working precision) are completed to an
/// orthonormal basis, so U and V always have orthonormal columns.
public struct SVD: Sendable {
    /// Left singular vectors [m, r], r = min(m, n); column i pairs with `singularValues[i]`.
    public let u: Tensor
    /// Singular values, descending, all ≥ 0.
    public let singularValues: [Double]
    /// Right singular vectors as rows, [r, n] (Vᵀ).
    public let vt: Tensor
    /// Jacobi sweeps the decomposition took (for benchmarks and curiosity).
    public let sweeps: Int

    public var rows: Int { u.shape[0] }
    public var columns: Int { vt.shape[1] }
    public var rank: Int { singularValues.count }

    /// Decomposes a matrix [m, n] (any m, n ≥ 1).
    public init(_ matrix: Tensor) {
        precondition(matrix.rank == 2, "SVD needs a matrix, got shape \(matrix.shape)")
        let m = matrix.shape[0], n = matrix.shape[1]
        precondition(m > 0 && n > 0, "SVD needs a non-empty matrix, got shape \(matrix.shape)")
        let transposed = m > n
        let p = min(m, n), q = max(m, n)

        // a: the p columns of Mᵀ (= the p rows of M), each contiguous, length q.
        var a = [Double](repeating: 0, count: p * q)
        matrix.data.withUnsafeBufferPointer { w in
            if transposed {        // M = Wᵀ: row i of M is column i of W.
                for r in 0..<m { for c in 0..<n { a[c * q + r] = Double(w[r * n + c]) } }
            } else {
                for i in 0..<(m * n) { a[i] = Double(w[i]) }
            }
        }

        var tau = [Double](repeating: 0, count: p)
        var rdiag = [Double](repeating: 0, count: p)
        a.withUnsafeMutableBufferPointer { ap in
            householderQR(ap.baseAddress!, q: q, p: p, tau: &tau, rdiag: &rdiag)
        }

        // L = Rᵀ, stored by columns: column j of L = row j of R = [0…0, rdiag[j], R[j, j+1…]].
        var b = [Double](repeating: 0, count: p * p)
        for j in 0..<p {
            b[j * p + j] = rdiag[j]
            for i in (j + 1)..<max(p, j + 1) { b[j * p + i] = a[i * q + j] }
        }
        var v = [Double](repeating: 0, count: p * p)
        for j in 0..<p { v[j * p + j] = 1 }

        var sweepCount = 0
        b.withUnsafeMutableBufferPointer { bp in
            v.withUnsafeMutableBufferPointer { vp in
                sweepCount = oneSidedJacobi(bp.baseAddress!, vp.baseAddress!, p: p)
            }
        }

        // σ_i = ‖b_i‖; order descending.
        var sigma = [Double](repeating: 0, count: p)
        b.withUnsafeBufferPointer { bp in
            for j in 0..<p { sigma[j] = dot(bp.baseAddress! + j * p, bp.baseAddress! + j * p, p).squareRoot() }
        }
        let order = (0..<p).sorted { sigma[$0] > sigma[$1] || (sigma[$0] == sigma[$1] && $0 < $1) }
        let sorted = order.map { sigma[$0] }

        // U_L (p×p, by columns) = B·Σ⁻¹, completed where σ is negligible.
        var ul = [Double](repeating: 0, count: p * p)
        let tiny = (sorted.first ?? 0) * Double(p) * 4 * Double.ulpOfOne
        var deficient: [Int] = []
        for (slot, j) in order.enumerated() {
            if sigma[j] > tiny && sigma[j] > 0 {
                let scale = 1 / sigma[j]
                for i in 0..<p { ul[slot * p + i] = b[j * p + i] * scale }
            } else {
                deficient.append(slot)
            }
        }
        completeOrthonormal(&ul, dimension: p, missing: deficient)

        // V_M = Q·V_L: q×p by columns, each column length q (= rows of Vᵀ of M).
        var vm = [Double](repeating: 0, count: p * q)
        for (slot, j) in order.enumerated() {
            for i in 0..<p { vm[slot * q + i] = v[j * p + i] }
        }
        a.withUnsafeBufferPointer { ap in
            vm.withUnsafeMutableBufferPointer { yp in
                applyQ(ap.baseAddress!, q: q, p: p, tau: tau, to: yp.baseAddress!, columns: p)
            }
        }

        // M = U_L·Σ·V_Mᵀ. If M = W: U = U_L [m=p, p], Vᵀ = V_Mᵀ [p, n=q].
        // If M = Wᵀ: W = V_M·Σ·U_Lᵀ, so U = V_M [m=q, p], Vᵀ = U_Lᵀ [p, n=p].
        var uData = [Float](repeating: 0, count: m * p)
        var vtData = [Float](repeating: 0, count: p * n)
        if transposed {
            for c in 0..<p { for r in 0..<q { uData[r * p + c] = Float(vm[c * q + r]) } }
            for r in 0..<p { for c in 0..<p { vtData[r * p + c] = Float(ul[r * p + c]) } }
        } else {
            for c in 0..<p { for r in 0..<p { uData[r * p + c] = Float(ul[c * p + r]) } }
            for r in 0..<p { for c in 0..<q { vtData[r * q + c] = Float(vm[r * q + c]) } }
        }
        self.u = Tensor(shape: [m, p], data: uData)
        self.vt = Tensor(shape: [p, n], data: vtData)
        self.singularValues = sorted
        self.sweeps = sweepCount
    }

    /// U_k·diag(σ_k)·V_kᵀ, [m, n]; `rank` nil = all.
    public func reconstruct(rank k: Int? = nil) -> Tensor {
        let k = min(k ?? rank, rank)
        let m = rows, n = columns
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<k {
            let s = singularValues[i]
            for r in 0..<m {
                let ur = Double(u.data[r * rank + i]) * s
                if ur == 0 { continue }
                for c in 0..<n { out[r * n + c] += ur * Double(vt.data[i * n + c]) }
            }
        }
        return Tensor(shape: [m, n], data: out.map { Float($0) })
    }

    /// Smallest k with Σ_{i≤k} σ_i² ≥ fraction·Σ σ_i² (at least 1; a zero matrix gives 1).
    public static func energyRank(_ singularValues: [Double], fraction: Double) -> Int {
        let total = singularValues.reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 1 }
        var cumulative = 0.0
        for (i, s) in singularValues.enumerated() {
            cumulative += s * s
            // A relative slack of a few ulps, so energy=1 is reached despite rounding.
            if cumulative >= fraction * total * (1 - 8 * Double.ulpOfOne) { return i + 1 }
        }
        return singularValues.count
    }
}

// MARK: - Kernels (Double, SIMD over contiguous columns)

private typealias D8 = SIMD8<Double>

@inline(__always)
private func load(_ p: UnsafePointer<Double>) -> D8 {
    UnsafeRawPointer(p).loadUnaligned(as: D8.self)
}

@inline(__always)
private func store(_ v: D8, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: D8.self)
}

/// xᵀy over n contiguous values.
@inline(__always)
private func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = D8(), s1 = D8(), s2 = D8(), s3 = D8()
    var i = 0
    while i + 32 <= n {
        s0.addProduct(load(x + i), load(y + i))
        s1.addProduct(load(x + i + 8), load(y + i + 8))
        s2.addProduct(load(x + i + 16), load(y + i + 16))
        s3.addProduct(load(x + i + 24), load(y + i + 24))
        i += 32
    }
    while i + 8 <= n {
        s0.addProduct(load(x + i), load(y + i))
        i += 8
    }
    var total = ((s0 + s1) + (s2 + s3)).sum()
    while i < n { total += x[i] * y[i]; i += 1 }
    return total
}

/// y += alpha·x over n contiguous values.
@inline(__always)
private func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    let av = D8(repeating: alpha)
    var i = 0
    while i + 16 <= n {
        store(load(y + i).addingProduct(av, load(x + i)), y + i)
        store(load(y + i + 8).addingProduct(av, load(x + i + 8)), y + i + 8)
        i += 16
    }
    while i + 8 <= n {
        store(load(y + i).addingProduct(av, load(x + i)), y + i)
        i += 8
    }
    while i < n { y[i] += alpha * x[i]; i += 1 }
}

/// (x, y) ← (c·x − s·y, s·x + c·y) over n contiguous values.
@inline(__always)
private func rotate(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int, c: Double, s: Double) {
    let cv = D8(repeating: c), sv = D8(repeating: s)
    var i = 0
    while i + 8 <= n {
        let xv = load(x + i), yv = load(y + i)
        store(cv * xv - sv * yv, x + i)
        store(sv * xv + cv * yv, y + i)
        i += 8
    }
    while i < n {
        let xv = x[i], yv = y[i]
        x[i] = c * xv - s * yv
        y[i] = s * xv + c * yv
        i += 1
    }
}

private let qrBlock = 16

/// Householder QR of the q×p matrix whose columns are stored contiguously at a + j·q.
/// On return, column k holds R[0..<k, k] above the diagonal and the reflector v_k in
/// rows k..<q (H_k = I − tau_k·v_k·v_kᵀ); R's diagonal is in `rdiag`.
private func householderQR(_ a: UnsafeMutablePointer<Double>, q: Int, p: Int, tau: inout [Double], rdiag: inout [Double]) {
    for j0 in stride(from: 0, to: p, by: qrBlock) {
        let j1 = min(j0 + qrBlock, p)
        // Left-looking: apply every earlier reflector to this block of columns (each reflector
        // is read once per block; the block stays in cache).
        // Split in two halves for two threads when there is enough work.
        let shared = SharedPointers(a: a, y: a)
        let taus = tau
        let halves = j1 - j0 >= 2 ? 2 : 1
        parallelFor(halves, minimumWork: j0 * q * (j1 - j0) / halves) { half in
            let lo = j0 + half * (j1 - j0) / halves, hi = j0 + (half + 1) * (j1 - j0) / halves
            for k in 0..<j0 where taus[k] != 0 {
                let vk = UnsafePointer(shared.a + k * q + k)
                let len = q - k
                for j in lo..<hi {
                    let col = shared.a + j * q + k
                    axpy(-taus[k] * dot(vk, col, len), vk, col, len)
                }
            }
        }
        // Right-looking inside the block.
        for k in j0..<j1 {
            let col = a + k * q + k
            let len = q - k
            let norm = dot(col, col, len).squareRoot()
            if norm == 0 {
                tau[k] = 0; rdiag[k] = 0
                continue
            }
            let x0 = col[0]
            let beta = x0 >= 0 ? -norm : norm
            let v0 = x0 - beta
            col[0] = v0
            tau[k] = -1 / (beta * v0)
            rdiag[k] = beta
            for j in (k + 1)..<max(j1, k + 1) {
                let cj = a + j * q + k
                axpy(-tau[k] * dot(col, cj, len), col, cj, len)
            }
        }
    }
}

/// y_j ← H_0·H_1·…·H_{p−1}·y_j for each of `columns` contiguous columns of length q; blocks of
/// 16 columns are independent and run in parallel.
private func applyQ(_ a: UnsafePointer<Double>, q: Int, p: Int, tau: [Double],
                    to y: UnsafeMutablePointer<Double>, columns: Int) {
    let shared = SharedPointers(a: UnsafeMutablePointer(mutating: a), y: y)
    let blocks = (columns + qrBlock - 1) / qrBlock
    parallelFor(blocks, minimumWork: q * p * qrBlock) { blockIndex in
        let j0 = blockIndex * qrBlock, j1 = min(j0 + qrBlock, columns)
        for k in stride(from: p - 1, through: 0, by: -1) where tau[k] != 0 {
            let vk = UnsafePointer(shared.a + k * q + k)
            let len = q - k
            for j in j0..<j1 {
                let col = shared.y + j * q + k
                axpy(-tau[k] * dot(vk, col, len), vk, col, len)
            }
        }
    }
}

/// Raw pointers handed to worker threads that each touch a disjoint part.
private struct SharedPointers: @unchecked Sendable {
    let a: UnsafeMutablePointer<Double>
    let y: UnsafeMutablePointer<Double>
}

/// Runs body(0..<count), on all cores when the total work (in multiply-adds) is worth it.
private func parallelFor(_ count: Int, minimumWork: Int, _ body: @escaping @Sendable (Int) -> Void) {
    if count <= 1 || minimumWork * count < 4_000_000 {
        for i in 0..<count { body(i) }
    } else {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}

/// One-sided Jacobi on the p columns (length p, contiguous) of b, accumulating the rotations
/// into v. Returns the number of sweeps.
///
/// The columns are split into blocks of 16; a sweep rotates every pair within each block, then
/// every pair between two blocks, the block pairs scheduled as a round-robin tournament, so
/// each round's block pairs touch disjoint columns and run in parallel, and each block pair's
/// columns (4 × 16 columns of b and v) stay in L2 while its 256 column pairs are rotated.
/// A pair is rotated while |b_iᵀb_j| > 1e-11·‖b_i‖‖b_j‖: the singular values' relative error is
/// of the order of that tolerance squared, the vectors' of the tolerance, both far below Float's.
private func oneSidedJacobi(_ b: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>, p: Int) -> Int {
    let state = JacobiState(b: b, v: v, p: p, blockSize: p >= 64 ? 16 : p)
    defer { state.deallocate() }
    let blocks = state.blocks
    let players = blocks + blocks % 2

    func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if count == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
    }

    var sweep = 0
    while sweep < 80 {
        sweep += 1
        for j in 0..<p { state.norms[j] = dot(b + j * p, b + j * p, p) }
        var rotations = 0
        run(blocks) { k in state.counts[k] = state.rotatePairs(k, k) }
        for k in 0..<blocks { rotations += state.counts[k] }
        // Circle-method tournament: in round r, player N−1 meets r, and (r+k) meets (r−k) mod N−1.
        for round in 0..<max(players - 1, 0) {
            var schedule: [(Int, Int)] = []
            for k in 0..<(players / 2) {
                let x = k == 0 ? players - 1 : (round + k) % (players - 1)
                let y = (round - k + players - 1) % (players - 1)
                if x < blocks && y < blocks && x != y { schedule.append((min(x, y), max(x, y))) }
            }
            let pairs = schedule
            if pairs.isEmpty { continue }
            run(pairs.count) { index in state.counts[index] = state.rotatePairs(pairs[index].0, pairs[index].1) }
            for index in pairs.indices { rotations += state.counts[index] }
        }
        if rotations == 0 { break }
    }
    return sweep
}

/// The Jacobi working set, shared by the threads of one round; each thread touches only the
/// columns of its own block pair (and its own `counts` slot).
private final class JacobiState: @unchecked Sendable {
    let b: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>
    let p: Int, blockSize: Int, blocks: Int
    let tolerance = 1e-11
    let norms: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int>

    init(b: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>, p: Int, blockSize: Int) {
        self.b = b; self.v = v; self.p = p; self.blockSize = blockSize
        blocks = (p + blockSize - 1) / blockSize
        norms = .allocate(capacity: p)
        counts = .allocate(capacity: max(blocks, 1))
    }

    func deallocate() { norms.deallocate(); counts.deallocate() }

    func block(_ k: Int) -> Range<Int> { (k * blockSize)..<min((k + 1) * blockSize, p) }

    /// Rotates the pairs (i, j), i in block bi, j in block bj, i < j; returns how many it rotated.
    func rotatePairs(_ blockI: Int, _ blockJ: Int) -> Int {
        var rotations = 0
        for i in block(blockI) {
            let bi = b + i * p, vi = v + i * p
            for j in block(blockJ) where j > i {
                let alpha = norms[i], beta = norms[j]
                if alpha == 0 || beta == 0 { continue }
                let bj = b + j * p
                let gamma = dot(bi, bj, p)
                if abs(gamma) <= tolerance * (alpha * beta).squareRoot() { continue }
                let zeta = (beta - alpha) / (2 * gamma)
                let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                let c = 1 / (1 + t * t).squareRoot()
                let s = c * t
                rotate(bi, bj, p, c: c, s: s)
                rotate(vi, v + j * p, p, c: c, s: s)
                norms[i] = max(alpha - t * gamma, 0)
                norms[j] = beta + t * gamma
                rotations += 1
            }
        }
        return rotations
    }
}

/// Fills the listed columns of the p×p column-major `basis` with unit vectors orthogonal to
/// every other column (Gram–Schmidt, twice, over the standard basis).
private func completeOrthonormal(_ basis: inout [Double], dimension p: Int, missing: [Int]) {
    guard !missing.isEmpty else { return }
    let missingSet = Set(missing)
    var filled = (0..<p).filter { !missingSet.contains($0) }
    var candidate = 0
    for slot in missing {
        while candidate < p {
            var x = [Double](repeating: 0, count: p)
            x[candidate] = 1
            candidate += 1
            for _ in 0..<2 {
                for f in filled {
                    var d = 0.0
                    for i in 0..<p { d += basis[f * p + i] * x[i] }
                    for i in 0..<p { x[i] -= d * basis[f * p + i] }
                }
            }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0.5 {
                for i in 0..<p { basis[slot * p + i] = x[i] / norm }
                filled.append(slot)
                break
            }
        }
    }
}
