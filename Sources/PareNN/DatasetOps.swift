import PareTensor

extension Dataset {
    /// The rows at `indices`, in that order (repeats allowed). Keeps name and class count.
    public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
        Dataset(name: name ?? self.name, features: rows(indices), labels: indices.map { labels[$0] },
                classCount: classCount)
    }

    /// The feature rows at `indices` as a [indices.count, featureCount] tensor.
    public func rows(_ indices: [Int]) -> Tensor {
        let d = featureCount
        var out = [Float](repeating: 0, count: indices.count * d)
        features.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, index) in indices.enumerated() {
                    precondition(index >= 0 && index < rowCount, "row \(index) outside 0..<\(rowCount)")
                    (dst.baseAddress! + r * d).update(from: src.baseAddress! + index * d, count: d)
                }
            }
        }
        return Tensor(shape: [indices.count, d], data: out)
    }

    /// The contiguous rows `range` as a tensor (cheaper than `rows(_:)` for evaluation batches).
    public func rows(_ range: Range<Int>) -> Tensor {
        let d = featureCount
        return Tensor(shape: [range.count, d], data: Array(features.data[(range.lowerBound * d)..<(range.upperBound * d)]))
    }

    /// A deterministic seeded split: a SeededRandom permutation of the rows, the first
    /// ⌈testFraction · rows⌉ of it (as scikit-learn's train_test_split rounds) become the test
    /// set. Each part keeps the file's row order. Names get ".train" / ".test" appended.
    public func split(testFraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        guard testFraction > 0 && testFraction < 1 else {
            throw DatasetError.invalidSplit(dataset: name, reason: "the test fraction \(testFraction) is not between 0 and 1 (exclusive)")
        }
        let testCount = Int((Double(rowCount) * testFraction).rounded(.up))
        guard testCount < rowCount else {
            throw DatasetError.invalidSplit(dataset: name, reason: "\(rowCount) rows with test fraction \(testFraction) leave no training rows")
        }
        var rng = SeededRandom(seed: seed)
        let permutation = rng.permutation(rowCount)
        let test = permutation[..<testCount].sorted()
        let train = permutation[testCount...].sorted()
        return (subset(train, name: name + ".train"), subset(test, name: name + ".test"))
    }

    /// Minibatches of row indices: shuffled by `seed` when given, in order otherwise. The last
    /// batch may be smaller (PyTorch's DataLoader with drop_last=False).
    public func batchIndices(size: Int, seed: UInt64? = nil) -> [[Int]] {
        precondition(size > 0, "batch size must be positive, got \(size)")
        var order = Array(0..<rowCount)
        if let seed {
            var rng = SeededRandom(seed: seed)
            rng.shuffle(&order)
        }
        return stride(from: 0, to: rowCount, by: size).map { Array(order[$0..<min($0 + size, rowCount)]) }
    }

    /// Minibatches (indices, features, labels), gathered lazily one at a time.
    public func batches(size: Int, seed: UInt64? = nil) -> DatasetBatches {
        DatasetBatches(dataset: self, indices: batchIndices(size: size, seed: seed))
    }

    /// SHA-256 (hex) of the canonical bytes: row count and feature count as Int64 LE, then the
    /// features as Float32 LE row-major, then the labels as Int64 LE. Name and class count are
    /// not part of it, so the same data under two names has one hash.
    public var contentHash: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + features.count * 4 + labels.count * 8)
        bytes += Bytes.of([Int64(rowCount), Int64(featureCount)])
        bytes += Bytes.of(features.data)
        bytes += Bytes.of(labels.map { Int64($0) })
        return SHA256.hex(bytes)
    }
}

/// One minibatch: dataset row indices, their features [count, featureCount] and labels.
public struct DatasetBatch: Sendable {
    public var indices: [Int]
    public var features: Tensor
    public var labels: [Int]
}

public struct DatasetBatches: Sequence, Sendable {
    public let dataset: Dataset
    public let indices: [[Int]]
    public var count: Int { indices.count }

    public func makeIterator() -> AnyIterator<DatasetBatch> {
        var i = 0
        return AnyIterator {
            guard i < indices.count else { return nil }
            defer { i += 1 }
            let batch = indices[i]
            return DatasetBatch(indices: batch, features: dataset.rows(batch), labels: batch.map { dataset.labels[$0] })
        }
    }
}
