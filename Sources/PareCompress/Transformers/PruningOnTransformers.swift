import PareNN
import PareTensor

// Wanda and SparseGPT on a decoder LM or an encoder, block by block (`BlockwiseCalibration`): every layer of
// a group reads the same input, so one set of input norms (Wanda) or one Hessian (SparseGPT)
// serves the whole group. Pruned layers are stored in the smallest sparse encoding.

extension WandaPruning {
    func compressTransformer(_ model: Model, selected: [Int], context: CompressionContext) throws -> CompressionResult {
        try TransformerSupport.refuseTraining(Self.name, epochs: schedule.finetuneEpochs)
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: false)
        let out = try BlockwiseCalibration.replacingLayers(model, layers: layers, context: context, method: Self.name) { group, current in
            let norms = InputStatistics.columnNorms(group.inputs)
            return current.map { layer in
                let w = layer.weight.decoded()
                let pruned = Pruning.applying(mask(weight: w, inputNorms: norms, sparsity: amount), to: w)
                return Linear(name: layer.name, weight: SparseEncoding.best(for: pruned), bias: layer.bias)
            }
        }
        return Pruning.result(out, layers: selected)
    }

    public func checkTransformerSupport() throws {
        try TransformerSupport.refuseTraining(Self.name, epochs: schedule.finetuneEpochs)
        if schedule.finetuneSteps != nil || schedule.kind == .agp {
            throw ConfigError("\(Self.name) prunes a decoder LM one-shot, block by block; for gradual pruning with fine-tuning use prune-magnitude schedule=agp finetune_steps=k.")
        }
    }

}

extension SparseGPTPruning {
    func compressTransformer(_ model: Model, selected: [Int], context: CompressionContext) throws -> CompressionResult {
        try Pruning.checkPrunable(model, layers: selected, method: Self.name, keepsQuantization: false)
        let out = try BlockwiseCalibration.replacingLayers(model, layers: layers, context: context, method: Self.name) { group, current in
            let factor = try HessianFactor(InputStatistics.gram(group.inputs), columns: group.width, damp: damp, layerName: group.paths[0])
            return try current.map { layer in
                let pruned = try Self.prune(weight: layer.weight.decoded(), factor: factor, pattern: pattern, blockSize: blockSize)
                return Linear(name: layer.name, weight: SparseEncoding.best(for: pruned), bias: layer.bias)
            }
        }
        return Pruning.result(out, layers: selected)
    }

    public func checkTransformerSupport() throws {}

}

extension Pruning {
    /// A pruned model with its report: one note for all pruned layers of a transformer (hundreds
    /// of them) and `sparsity` over the pruned layers, not over the embedding and head.
    static func result(_ model: Model, layers: [Int]) -> CompressionResult {
        let weights = layers.map { model.layers[$0].weight }
        let total = weights.reduce(0) { $0 + $1.parameterCount }
        let zeros = weights.reduce(0) { $0 + $1.parameterCount - $1.nonzeroCount }
        let encodings = Set(weights.map(\.encodingName)).sorted().joined(separator: ", ")
        let sparsity = total == 0 ? 0 : Double(zeros) / Double(total)
        let note = "\(layers.count) layers pruned: \(zeros) of \(total) weights zero (\(formatPercent(100 * sparsity))), stored as \(encodings)"
        return CompressionResult(model: model, notes: [note], extraMetrics: ["sparsity": sparsity])
    }
}
