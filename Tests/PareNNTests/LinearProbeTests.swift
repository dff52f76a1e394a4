import Foundation
import Testing
@testable import PareNN

@Suite struct LinearProbeTests {
    struct Reference: Decodable {
        let x: [[Float]]; let labels: [Int]; let classes: Int; let c: Double
        let weights: [Double]; let bias: [Double]; let loss: Double
    }

    /// scripts/fixtures/probe_reference.py: numpy gradient descent run to a 1e-13 gradient.
    @Test func matchesNumpyGradientDescentOnATinyProblem() throws {
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("evaluation/probe_tiny.json")))
        let probe = LinearProbe.train(embeddings: ref.x, labels: ref.labels, classes: ref.classes, c: ref.c, tolerance: 1e-10)
        #expect(probe.converged)
        for (got, want) in zip(probe.weights + probe.bias, ref.weights + ref.bias) {
            #expect(abs(got - want) < 1e-7, "\(got) vs \(want)")
        }
        #expect(abs(probe.loss - ref.loss) < 1e-10)
        #expect(abs(probe.bias.reduce(0, +)) < 1e-12)
    }

    /// x = +1 (class 1) and x = −1 (class 0), C = 1, n = 2: by symmetry W = [−a, a], b = 0 and
    /// the objective is log(1 + e^(−2a)) + a²/2, whose minimum solves a = 2 / (1 + e^(2a)).
    @Test func symmetricPairHasTheClosedFormOptimum() {
        var lo = 0.0, hi = 2.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if mid - 2 / (1 + Foundation.exp(2 * mid)) > 0 { hi = mid } else { lo = mid }
        }
        let probe = LinearProbe.train(embeddings: [[1], [-1]], labels: [1, 0], classes: 2, tolerance: 1e-12)
        #expect(abs(probe.weights[1] - lo) < 1e-9 && abs(probe.weights[0] + lo) < 1e-9, "\(probe.weights) vs ±\(lo)")
        #expect(probe.bias.allSatisfy { abs($0) < 1e-9 })
    }

    @Test func separatesSeparableData() {
        var x: [[Float]] = [], y: [Int] = []
        for i in 0..<60 {
            let t = Float(i) / 60
            x.append([2 + t, 1 - 2 * t]); y.append(0)
            x.append([-2 - t, 0.5 + t]); y.append(1)
            x.append([t, 3 + t]); y.append(2)
        }
        let probe = LinearProbe.train(embeddings: x, labels: y, classes: 3)
        #expect(probe.converged)
        #expect(probe.accuracy(x, labels: y) == 1)
        #expect(probe.predict([[3, 0], [-3, 1], [0, 4]]) == [0, 1, 2])
        // Deterministic: the same data gives the same probe, bit for bit.
        #expect(LinearProbe.train(embeddings: x, labels: y, classes: 3) == probe)
    }

    @Test func roundTripsThroughJSON() throws {
        let probe = LinearProbe.train(embeddings: [[1, 0], [0, 1], [1, 1]], labels: [0, 1, 1], classes: 2)
        let back = try JSONDecoder().decode(LinearProbe.self, from: JSONEncoder().encode(probe))
        #expect(back == probe)
        #expect(back.predict([[1, 0], [0, 1]]) == probe.predict([[1, 0], [0, 1]]))
    }
}
