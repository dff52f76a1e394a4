import Testing
import PareTestSupport
@testable import PareCompress

/// The Cholesky-based factors GPTQ and SparseGPT sweep with, against their definitions.
@Suite struct SymmetricMatrixTests {
    /// A random symmetric positive-definite matrix B·Bᵀ + n·I.
    static func spd(_ n: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed)
        let b = (0..<n * n).map { _ in random.uniformDouble() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = (0..<n).reduce(0) { $0 + b[i * n + $1] * b[j * n + $1] } + (i == j ? Double(n) : 0) } }
        return a
    }

    static func product(_ a: [Double], _ b: [Double], _ n: Int, transposeA: Bool = false) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { c[i * n + j] = (0..<n).reduce(0) { $0 + (transposeA ? a[$1 * n + i] : a[i * n + $1]) * b[$1 * n + j] } } }
        return c
    }

    /// A⁻¹ = L⁻ᵀ·L⁻¹ from A's Cholesky factor: the route torch's `cholesky_inverse` takes.
    static func inverse(_ a: [Double], _ n: Int) -> [Double]? {
        guard let l = SymmetricMatrix.cholesky(a, n: n) else { return nil }
        let li = SymmetricMatrix.invertLower(l, n: n)
        return product(li, li, n, transposeA: true)
    }

    @Test(arguments: [1, 7, 70])
    func upperCholeskyOfTheInverseFactorsTheInverse(_ n: Int) throws {
        let a = Self.spd(n, seed: UInt64(n))
        let u = try #require(SymmetricMatrix.upperCholeskyOfInverse(a, n: n))
        for i in 0..<n { for j in 0..<i { #expect(u[i * n + j] == 0) } }
        // (UᵀU)·A = I.
        let identity = Self.product(Self.product(u, u, n, transposeA: true), a, n)
        for i in 0..<n { for j in 0..<n { #expect(abs(identity[i * n + j] - (i == j ? 1 : 0)) < 1e-9) } }
        // The same factor as the definition's route (inverse, then its upper Cholesky).
        let reference = try #require(Self.inverse(a, n).flatMap { SymmetricMatrix.cholesky($0, n: n) }.map { SymmetricMatrix.transpose($0, n: n) })
        #expect(zip(u, reference).allSatisfy { abs($0 - $1) < 1e-10 })
    }

    @Test func notPositiveDefiniteIsNil() {
        #expect(SymmetricMatrix.upperCholeskyOfInverse([1, 2, 2, 1], n: 2) == nil)
    }
}
