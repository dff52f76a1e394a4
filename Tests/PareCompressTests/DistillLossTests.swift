import Foundation
import Testing
import PareTensor
@testable import PareCompress

@Suite struct DistillLossTests {
    let student = Tensor(shape: [2, 3], data: [1, 2, 0.5, 0.1, -1, 2])
    let teacher = Tensor(shape: [2, 3], data: [2, 1, 0, 0, 0, 3])
    let labels = [1, 2]

    @Test func handComputedTwoByThree() throws {
        // numpy (float64): T = 2, α = 0.7, KL batchmean = 0.06347391154214996, CE = 0.3230766348485291.
        let loss = try DistillationLoss(temperature: 2, alpha: 0.7)
        let (value, gradient) = loss.lossAndGradient(student: student, teacherLogits: teacher, labels: labels)
        #expect(abs(value - 0.27464994277257865) < 1e-6)
        let expected: [Double] = [-0.11562351448544061, 0.06595962215617425, 0.04966389232926638,
                                  0.07887130585508534, -0.004748938477339183, -0.07412236737774619]
        for (g, e) in zip(gradient.data, expected) { #expect(abs(Double(g) - e) < 1e-6) }
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let loss = try DistillationLoss(temperature: 3, alpha: 0.6)
        let s = Tensor(shape: [4, 5], data: lrRandom(20, seed: 21).map { $0 * 3 })
        let t = Tensor(shape: [4, 5], data: lrRandom(20, seed: 22).map { $0 * 4 })
        let y = [0, 3, 4, 1]
        let (_, gradient) = loss.lossAndGradient(student: s, teacherLogits: t, labels: y)
        for i in s.data.indices {
            var plus = s, minus = s
            plus.data[i] += 1e-2
            minus.data[i] -= 1e-2
            let step = Double(plus.data[i]) - Double(minus.data[i])
            let numeric = (loss.lossAndGradient(student: plus, teacherLogits: t, labels: y).loss
                           - loss.lossAndGradient(student: minus, teacherLogits: t, labels: y).loss) / step
            #expect(abs(numeric - Double(gradient.data[i])) < 1e-5, "entry \(i)")
        }
    }

    @Test func temperatureOneAlphaZeroIsCrossEntropy() throws {
        let loss = try DistillationLoss(temperature: 1, alpha: 0)
        let (value, gradient) = loss.lossAndGradient(student: student, teacherLogits: teacher, labels: labels)
        #expect(abs(value - 0.3230766348485291) < 1e-9)
        #expect(abs(value - DistillationLoss.crossEntropy(student, labels: labels)) < 1e-12)
        let p = DistillationLoss.softmax(student)
        for row in 0..<2 { for j in 0..<3 {
            let want = (Double(p[row, j]) - (j == labels[row] ? 1 : 0)) / 2
            #expect(abs(Double(gradient[row, j]) - want) < 1e-7)
        } }
    }

    @Test func klIsBatchmeanNotElementwiseMean() throws {
        // α = 1: L = T²·KL summed over classes, averaged over the 2 rows (not the 6 entries).
        let loss = try DistillationLoss(temperature: 2, alpha: 1)
        let value = loss.lossAndGradient(student: student, teacherLogits: teacher, labels: labels).loss
        #expect(abs(value - 4 * 0.06347391154214996) < 1e-7)
    }

    @Test func probabilityAndLabelTeachers() throws {
        let loss = try DistillationLoss(temperature: 2, alpha: 0.7)
        // Teacher probabilities at T = 1 soften to exactly softmax(t/T).
        let probs = DistillationLoss.softmax(teacher)
        let fromLogits = loss.lossAndGradient(student: student, teacherLogits: teacher, labels: labels)
        let fromProbs = loss.lossAndGradient(student: student, teacherProbabilities: probs, labels: labels)
        #expect(abs(fromLogits.loss - fromProbs.loss) < 1e-6)
        for (a, b) in zip(fromLogits.gradient.data, fromProbs.gradient.data) { #expect(abs(a - b) < 1e-6) }
        // numpy: [0.7, 0.2, 0.1] ** (1/2), normalized.
        let softened = DistillationLoss.soften(Tensor(shape: [1, 3], data: [0.7, 0.2, 0.1]), temperature: 2)
        for (g, e) in zip(softened.data, [0.5228793830078697, 0.27949078654617093, 0.19762983044595936]) {
            #expect(abs(Double(g) - e) < 1e-6)
        }
        // Hard pseudo-labels: the soft term is T²·CE(teacher label, s/T).
        let hard = try DistillationLoss(temperature: 2, alpha: 1)
            .lossAndGradient(student: student, teacherLabels: [0, 2], labels: labels).loss
        let scaled = Tensor(shape: [2, 3], data: student.data.map { $0 / 2 })
        #expect(abs(hard - 4 * DistillationLoss.crossEntropy(scaled, labels: [0, 2])) < 1e-6)
    }

    @Test(arguments: [(0.0, 0.5), (-1.0, 0.5), (2.0, -0.1), (2.0, 1.5), (Double.nan, 0.5)])
    func badTemperatureOrAlpha(temperature: Double, alpha: Double) {
        #expect(throws: ConfigError.self) { try DistillationLoss(temperature: temperature, alpha: alpha) }
    }

    @Test func ensembleOfTwoTeachers() {
        let a = Tensor(shape: [2, 3], data: [0.5, 0.3, 0.2, 0.1, 0.1, 0.8])
        let b = Tensor(shape: [2, 3], data: [0.2, 0.2, 0.6, 0.7, 0.3, 0.0])
        let arithmetic = Ensemble.softTargets([a, b])
        for (g, e) in zip(arithmetic.data, [0.35, 0.25, 0.4, 0.4, 0.2, 0.4]) { #expect(abs(Double(g) - e) < 1e-6) }
        // numpy: sqrt(a·b) normalized per row.
        let geometric = Ensemble.softTargets([a, b], mode: .geometric)
        let expected = [0.3484269830101751, 0.26989038051354053, 0.38168263647628436, 0.6043560762610399, 0.39564392373896, 0.0]
        for (g, e) in zip(geometric.data, expected) { #expect(abs(Double(g) - e) < 1e-6) }
        // Disjoint supports: geometric falls back to the arithmetic mean for that row.
        let fallback = Ensemble.softTargets([Tensor(shape: [1, 2], data: [1, 0]), Tensor(shape: [1, 2], data: [0, 1])], mode: .geometric)
        #expect(fallback.data == [0.5, 0.5])
    }

    @Test func featureLossGradients() {
        let hs = Tensor(shape: [3, 4], data: lrRandom(12, seed: 31))
        let ht = Tensor(shape: [3, 2], data: lrRandom(6, seed: 32))
        let p = FeatureLoss.initialProjection(studentWidth: 4, teacherWidth: 2, seed: 1)
        #expect(p.shape == [2, 4] && p.data.allSatisfy { abs($0) <= 0.5 })
        let (loss, gh, gp) = FeatureLoss.lossAndGradients(studentHidden: hs, projection: p, teacherHidden: ht)
        // Hand check of the loss.
        var direct = 0.0
        for r in 0..<3 { for o in 0..<2 {
            var z = 0.0
            for i in 0..<4 { z += Double(hs[r, i]) * Double(p[o, i]) }
            direct += (z - Double(ht[r, o])) * (z - Double(ht[r, o]))
        } }
        #expect(abs(loss - direct / 6) < 1e-9)
        func check(_ x: Tensor, _ grad: Tensor, _ f: (Tensor) -> Double) {
            for i in x.data.indices {
                var plus = x, minus = x
                plus.data[i] += 1e-2
                minus.data[i] -= 1e-2
                let numeric = (f(plus) - f(minus)) / (Double(plus.data[i]) - Double(minus.data[i]))
                #expect(abs(numeric - Double(grad.data[i])) < 1e-5)
            }
        }
        check(hs, gh) { FeatureLoss.lossAndGradients(studentHidden: $0, projection: p, teacherHidden: ht).loss }
        check(p, gp) { FeatureLoss.lossAndGradients(studentHidden: hs, projection: $0, teacherHidden: ht).loss }
    }
}
