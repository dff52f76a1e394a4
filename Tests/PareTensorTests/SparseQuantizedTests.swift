import Testing
@testable import PareTensor
import PareTestSupport

/// The sparse-quantized encoding: mask + packed codes of the kept weights.
@Suite struct SparseQuantizedTests {
    static let formats: [(QuantFormat, QuantGranularity)] = [
        (QuantFormat(bits: 8), .channel), (QuantFormat(bits: 4), .channel), (QuantFormat(bits: 3), .tensor),
        (QuantFormat(bits: 2, scheme: .affine), .group(8)), (QuantFormat(bits: 4, scheme: .affine, signedCodes: true), .group(16)),
    ]

    @Test(arguments: 0..<formats.count)
    func roundTripAndZeros(_ index: Int) throws {
        let (format, granularity) = Self.formats[index]
        var random = TestRNG(UInt64(7 + index))
        let w = random.sparseMatrix(12, 48, sparsity: 0.6)
        let sq = try SparseQuantizedWeight(quantizing: w, format: format, granularity: granularity)
        // Encode → decode gives the same bytes and the same weight.
        let stored = sq.encoded()
        let back = try SparseQuantizedWeight(decoding: stored)
        #expect(back.encoded() == stored)
        #expect(back.decoded() == sq.decoded())
        #expect(try WeightEncodings.decode(stored).decoded() == sq.decoded())
        // Pruned weights stay exactly zero; kept ones are what plain quantization gives them.
        let dense = try QuantizedWeight(quantizing: w, format: format, granularity: granularity).decoded()
        let decoded = sq.decoded()
        for i in 0..<w.count {
            if w.data[i] == 0 { #expect(decoded.data[i] == 0) } else { #expect(decoded.data[i] == dense.data[i]) }
        }
        // The payload is mask + codes of the kept weights + scales (+ zero points).
        let kept = w.nonzeroCount
        let groups = sq.params.groupCount
        #expect(stored.payload.count == (w.count + 7) / 8 + (kept * format.bits + 7) / 8
                + groups * (4 + (format.scheme == .affine ? 1 : 0)))
        #expect(sq.nonzeroCount == decoded.nonzeroCount)
    }

    @Test func forwardMatchesDenseReference() throws {
        var random = TestRNG(3)
        for sparsity in [0.5, 0.9] {
            let w = random.sparseMatrix(40, 64, sparsity: sparsity)
            let sq = try SparseQuantizedWeight(quantizing: w, format: QuantFormat(bits: 4), granularity: .channel)
            for batch in [1, 32] {
                let x = random.matrix(batch, 64)
                let expected = referenceForward(x, sq.decoded())
                let y = sq.forward(x)
                for i in 0..<y.count { #expect(abs(y.data[i] - expected.data[i]) <= 1e-4 * max(1, abs(expected.data[i]))) }
            }
        }
    }

    @Test func smallestStorageFollowsSparsity() throws {
        var random = TestRNG(11)
        let format = QuantFormat(bits: 4)
        // Dense: plain quantized. Half pruned at 4 bits (> 1/4): sparse-quantized and smaller.
        let dense = random.matrix(16, 32)
        #expect(try QuantizedStorage.quantizing(dense, format: format, granularity: .channel) is QuantizedWeight)
        let pruned = random.sparseMatrix(16, 32, sparsity: 0.5)
        let chosen = try QuantizedStorage.quantizing(pruned, format: format, granularity: .channel)
        let plain = try QuantizedWeight(quantizing: pruned, format: format, granularity: .channel)
        #expect(chosen is SparseQuantizedWeight)
        #expect(chosen.storedBytes < plain.storedBytes)
        // A few zeros (10 %, below 1/4) do not pay for the mask.
        let light = random.sparseMatrix(16, 32, sparsity: 0.1)
        #expect(try QuantizedStorage.quantizing(light, format: format, granularity: .channel) is QuantizedWeight)
        // Requantizing dequantized values with their own parameters gives them back exactly.
        let again = QuantizedStorage.requantizing(chosen.decoded(), params: (chosen as! SparseQuantizedWeight).params)
        #expect(again.decoded() == chosen.decoded())
    }

    @Test func malformedPayloadsAreRejected() throws {
        var random = TestRNG(5)
        let sq = try SparseQuantizedWeight(quantizing: random.sparseMatrix(6, 10, sparsity: 0.5), format: QuantFormat(bits: 4), granularity: .channel)
        var short = sq.encoded()
        short.payload.removeLast()
        #expect(throws: EncodingError.self) { try SparseQuantizedWeight(decoding: short) }
        var extraBit = sq.encoded()
        extraBit.payload[7] |= 0x80   // 60 weights: bits 60…63 of the mask's last byte must be clear
        #expect(throws: EncodingError.self) { try SparseQuantizedWeight(decoding: extraBit) }
        var noBits = sq.encoded()
        noBits.meta["bits"] = nil
        #expect(throws: EncodingError.self) { try SparseQuantizedWeight(decoding: noBits) }
    }
}
