import Testing
import Foundation
@testable import PareTensor
import PareTestSupport

func randomMatrix(_ m: Int, _ n: Int, seed: UInt64) -> Tensor {
    var rng = TestRNG(seed)
    return Tensor(shape: [m, n], data: (0..<(m * n)).map { _ in Float(rng.uniformDouble()) })
}

/// n orthonormal columns of length m (Gram–Schmidt twice, Double), column-major.
func orthonormalColumns(_ m: Int, _ n: Int, seed: UInt64) -> [[Double]] {
    var rng = TestRNG(seed)
    var cols: [[Double]] = []
    while cols.count < n {
        var x = (0..<m).map { _ in rng.uniformDouble() }
        for _ in 0..<2 {
            for c in cols {
                let d = zip(c, x).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<m { x[i] -= d * c[i] }
            }
        }
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        cols.append(x.map { $0 / norm })
    }
    return cols
}

func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    var diff = 0.0, norm = 0.0
    for i in a.data.indices {
        let d = Double(a.data[i]) - Double(b.data[i])
        diff += d * d
        norm += Double(b.data[i]) * Double(b.data[i])
    }
    return (diff / norm).squareRoot()
}

/// max |XᵀX − I| over the columns of a row-major [rows, cols] matrix.
func orthogonalityError(columnsOf t: Tensor) -> Double {
    let r = t.shape[0], c = t.shape[1]
    var worst = 0.0
    for i in 0..<c {
        for j in i..<c {
            var d = 0.0
            for k in 0..<r { d += Double(t.data[k * c + i]) * Double(t.data[k * c + j]) }
            worst = max(worst, abs(d - (i == j ? 1 : 0)))
        }
    }
    return worst
}

func transpose(_ t: Tensor) -> Tensor {
    let r = t.shape[0], c = t.shape[1]
    var out = Tensor(zeros: [c, r])
    for i in 0..<r { for j in 0..<c { out.data[j * r + i] = t.data[i * c + j] } }
    return out
}

@Suite struct SVDTests {
    @Test(arguments: [(30, 50), (50, 30), (40, 40), (1, 7), (7, 1), (33, 17), (70, 90), (130, 70)])
    func randomMatrixReconstructs(m: Int, n: Int) {
        let w = randomMatrix(m, n, seed: UInt64(m * 100 + n))
        let svd = SVD(w)
        let r = min(m, n)
        #expect(svd.u.shape == [m, r])
        #expect(svd.vt.shape == [r, n])
        #expect(svd.singularValues.count == r)
        #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(relativeError(svd.reconstruct(), w) < 1e-5)
        #expect(orthogonalityError(columnsOf: svd.u) < 1e-5)
        #expect(orthogonalityError(columnsOf: transpose(svd.vt)) < 1e-5)
    }

    @Test func knownSingularValuesOfConstructedMatrix() {
        let m = 40, n = 25
        let sigma: [Double] = (0..<n).map { 10 * pow(0.83, Double($0)) }   // 10 … ≈0.11
        let u = orthonormalColumns(m, n, seed: 1), v = orthonormalColumns(n, n, seed: 2)
        var w = Tensor(zeros: [m, n])
        for r in 0..<m {
            for c in 0..<n {
                var s = 0.0
                for i in 0..<n { s += u[i][r] * sigma[i] * v[i][c] }
                w.data[r * n + c] = Float(s)
            }
        }
        for matrix in [w, transpose(w)] {
            let svd = SVD(matrix)
            for (got, want) in zip(svd.singularValues, sigma) {
                #expect(abs(got - want) / want < 1e-4, "σ \(got) vs \(want)")
            }
            #expect(relativeError(svd.reconstruct(), matrix) < 1e-5)
        }
    }

    @Test func matchesNumPyReference() {
        // numpy.linalg.svd([[1,2,3,4],[2,-1,0.5,3],[0,1,-2,1.5]], compute_uv=False)
        let reference = [6.16787576848736, 2.8138926449011357, 2.3535752988756795]
        let w = Tensor(shape: [3, 4], data: [1, 2, 3, 4, 2, -1, 0.5, 3, 0, 1, -2, 1.5])
        let svd = SVD(w)
        for (got, want) in zip(svd.singularValues, reference) {
            #expect(abs(got - want) / want < 1e-6)
        }
    }

    @Test(arguments: [(20, 35), (35, 20)])
    func rankDeficientMatrix(m: Int, n: Int) {
        // W = A·B with A [m, 5], B [5, n]: exactly rank 5.
        let a = randomMatrix(m, 5, seed: 7), b = randomMatrix(5, n, seed: 8)
        var w = Tensor(zeros: [m, n])
        for r in 0..<m { for c in 0..<n {
            var s = 0.0
            for k in 0..<5 { s += Double(a.data[r * 5 + k]) * Double(b.data[k * n + c]) }
            w.data[r * n + c] = Float(s)
        } }
        let svd = SVD(w)
        let s = svd.singularValues
        #expect(s[4] > 1e-2 * s[0])
        #expect(s[5...].allSatisfy { $0 < 1e-5 * s[0] })
        #expect(relativeError(svd.reconstruct(), w) < 1e-5)
        #expect(relativeError(svd.reconstruct(rank: 5), w) < 1e-5)
        #expect(orthogonalityError(columnsOf: svd.u) < 1e-5)
        #expect(orthogonalityError(columnsOf: transpose(svd.vt)) < 1e-5)
    }

    @Test func zeroMatrix() {
        let svd = SVD(Tensor(zeros: [4, 6]))
        #expect(svd.singularValues == [0, 0, 0, 0])
        #expect(orthogonalityError(columnsOf: svd.u) < 1e-6)
        #expect(svd.reconstruct().data.allSatisfy { $0 == 0 })
    }

    @Test func energyRankOnHandMadeSpectrum() {
        // σ² = 9, 4, 1, 1 (total 15): cumulative 0.6, 0.8667, 0.9333, 1.
        let spectrum: [Double] = [3, 2, 1, 1]
        #expect(SVD.energyRank(spectrum, fraction: 0.5) == 1)
        #expect(SVD.energyRank(spectrum, fraction: 0.6) == 1)
        #expect(SVD.energyRank(spectrum, fraction: 0.61) == 2)
        #expect(SVD.energyRank(spectrum, fraction: 0.9) == 3)
        #expect(SVD.energyRank(spectrum, fraction: 0.94) == 4)
        #expect(SVD.energyRank(spectrum, fraction: 1) == 4)
        #expect(SVD.energyRank([0, 0], fraction: 0.9) == 1)
    }
}

/// The target's test generator: SplitMix64, shared by every test target.
typealias TestRNG = SplitMix64
