import Foundation
import Testing
@testable import PareTensor
import PareTestSupport

/// ZeroQuant's group-wise int8 weights with per-token dynamic activations: a hand-computed
/// case, the same layer through dequantized operands, the per-channel encoding as its one-group
/// case, and the stored form.
@Suite struct GroupwiseDynamicInt8Tests {
    /// Numbers chosen so every scale is a power of two and every product exact:
    /// groups of 2; group 0 max 0.99609375 = 127.5/128 (scale 1/128), group 1 max 7.96875 =
    /// 127.5/16 (scale 1/16); codes [64, −128 (−127.5, half to even)], [36, 127 (128 clamped)].
    /// Row 0 of x spans [0, 3.984375] (scale 1/64, zero point 0): codes 64, 128, 32, 255;
    ///   y = (1/64)·((64·64 − 128·128)/128 + (36·32 + 127·255)/16) = (−96 + 2096.0625)/64 = 31.2509765625.
    /// Row 1 spans [−1, 2.984375] (scale 1/64, zero point 64): codes 0, 96, 255, 32;
    ///   group sums −64 and 163: y = (1/64)·((−12288 + 64·64)/128 + (13244 − 64·163)/16) = (−64 + 175.75)/64 = 1.74609375.
    @Test func aHandComputedCaseScalesEachGroupsPartialProduct() throws {
        let w = Tensor(shape: [1, 4], data: [0.5, -0.99609375, 2.25, 7.96875])
        let layer = try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: 2)
        #expect(layer.codes == [64, -128, 36, 127])
        #expect(layer.scales == [1.0 / 128, 1.0 / 16])
        #expect(layer.groupSums == [-64, 163])
        let x = Tensor(shape: [2, 4], data: [1, 2, 0.5, 3.984375, -1, 0.5, 2.984375, -0.5])
        #expect(layer.forward(x).data == [31.2509765625, 1.74609375])
        // One scale per channel is coarser: max 7.96875 → scale 1/16 for all four, so group 0
        // keeps 4 bits of its 8 (these values happen to survive it, so the products agree).
        let channel = DynamicInt8Linear(quantizing: w)
        #expect(channel.weight.codes == [8, -16, 36, 127])
    }

    /// A layer large enough to split across threads equals x̂·Ŵᵀ in Double, with x̂ each row
    /// quantized and dequantized by QuantFormat's own rules and Ŵ the decoded weight.
    @Test(arguments: [QuantFormat.uint8Affine, .int8Affine])
    func theProductEqualsTheDequantizedOperands(_ format: QuantFormat) throws {
        var random = SplitMix64(41)
        let (m, n, k, g) = (24, 96, 1024, 64)
        let w = Tensor(shape: [n, k], data: (0..<n * k).map { i in (random.uniform() - 0.5) * (i % k < 64 ? 10 : 1) })
        let x = Tensor(shape: [m, k], data: (0..<m * k).map { _ in random.uniform() * 4 - 1 })
        let layer = try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: g, activationFormat: format)
        let y = layer.forward(x)
        let wHat = layer.decoded()
        var worst = 0.0, scale = 0.0
        for i in 0..<m {
            let row = Array(x.data[(i * k)..<((i + 1) * k)])
            let p = row.withUnsafeBufferPointer { format.params(fitting: $0) }
            let xHat = row.map { format.dequantize(format.quantize($0, scale: p.scale, zeroPoint: p.zeroPoint), scale: p.scale, zeroPoint: p.zeroPoint) }
            for r in 0..<n {
                var exact = 0.0
                for j in 0..<k { exact += Double(xHat[j]) * Double(wHat.data[r * k + j]) }
                worst = max(worst, abs(Double(y.data[i * n + r]) - exact))
                scale = max(scale, abs(exact))
            }
        }
        #expect(worst <= 1e-5 * scale, "max error \(worst) of \(scale)")
    }

    @Test func oneGroupPerRowIsThePerChannelEncoding() throws {
        var random = SplitMix64(5)
        let w = Tensor(shape: [7, 48], data: (0..<7 * 48).map { _ in random.uniform() - 0.5 })
        let x = Tensor(shape: [3, 48], data: (0..<3 * 48).map { _ in random.uniform() * 2 - 0.3 })
        let grouped = try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: 48)
        let channel = DynamicInt8Linear(quantizing: w)
        #expect(grouped.codes == channel.weight.codes && grouped.scales == channel.weight.scales)
        let a = grouped.forward(x).data, b = channel.forward(x).data
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    @Test func theStoredFormRoundTripsAndRefusesBadBytes() throws {
        var random = SplitMix64(9)
        let w = Tensor(shape: [5, 32], data: (0..<5 * 32).map { _ in random.uniform() - 0.5 })
        let layer = try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: 8, activationFormat: .int8Affine)
        let stored = layer.encoded()
        #expect(stored.payload.count == 5 * 32 + 4 * 5 * 4)
        let back = try #require(try WeightEncodings.decode(stored) as? GroupwiseDynamicInt8Linear)
        #expect(back.codes == layer.codes && back.scales == layer.scales && back.inputFormat == layer.inputFormat)
        var short = stored
        short.payload.removeLast()
        #expect(throws: EncodingError.self) { try GroupwiseDynamicInt8Linear(decoding: short) }
        var badGroup = stored
        badGroup.meta["group_size"] = "7"
        #expect(throws: EncodingError.self) { try GroupwiseDynamicInt8Linear(decoding: badGroup) }
        #expect(throws: QuantizationError.self) { try GroupwiseDynamicInt8Linear(quantizing: w, groupSize: 7) }
    }
}
