import PareNN
import PareTensor

// The checks each method's `compress` would make on the base model's shapes and the data it
// was given, made by `validate` before anything is recorded: a missing --calib or --train, a
// group size, rank or N:M group that does not fit a selected layer. (`compress` keeps making
// them too: in a pipeline a later stage sees the earlier stages' model.)

/// `--calib` for an MLP; for a transformer its calibration windows (text or sentences).
private func requireCalibration(_ model: Model, _ context: CompressionContext, method: String) throws {
    if model.isTransformer {
        try BlockwiseCalibration.check(model, context: context, method: method)
    } else {
        _ = try Calibration.require(context, for: method, model: model)
    }
}

extension WandaPruning {
    public func validate(_ model: Model, context: CompressionContext) throws {
        let selected = try layers.indices(in: model, method: Self.name)
        if let nm { try NMPruning.checkWidths(model, selected, m: nm.m, method: Self.name) }
        try requireCalibration(model, context, method: Self.name)
        if !model.isTransformer { try schedule.check(model, context: context, method: Self.name) }
    }
}

extension SparseGPTPruning {
    public func validate(_ model: Model, context: CompressionContext) throws {
        let selected = try layers.indices(in: model, method: Self.name)
        try requireCalibration(model, context, method: Self.name)
        if case .nm(_, let m) = pattern { try NMPruning.checkWidths(model, selected, m: m, method: Self.name) }
    }
}

extension NMPruning {
    public func validate(_ model: Model, context: CompressionContext) throws {
        try Self.checkWidths(model, try layers.indices(in: model, method: Self.name), m: m, method: Self.name)
    }
}

extension QuantWeight {
    public func validate(_ model: Model, context: CompressionContext) throws {
        for i in try layers.indices(in: model, method: Self.name) {
            _ = try options.granularity(for: model.layers[i], method: Self.name)
        }
    }
}

extension QuantGPTQ {
    public func validate(_ model: Model, context: CompressionContext) throws {
        let selected = try layers.indices(in: model, method: Self.name)
        try requireCalibration(model, context, method: Self.name)
        for i in selected { _ = try options.granularity(for: model.layers[i], method: Self.name) }
    }
}

extension QuantStatic {
    public func validate(_ model: Model, context: CompressionContext) throws {
        _ = try layers.indices(in: model, method: Self.name)
        try requireCalibration(model, context, method: Self.name)
    }
}

extension QuantSmooth {
    public func validate(_ model: Model, context: CompressionContext) throws {
        let selected = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
        try BlockwiseCalibration.refuseEncoderFolding(model, for: Self.name)
        try requireCalibration(model, context, method: Self.name)
        if model.isTransformer { try checkFoldable(selected) }
    }
}

extension QuantQAT {
    public func validate(_ model: Model, context: CompressionContext) throws {
        if let decoder { try decoder.validate(model, context: context); return }
        _ = try layers.indices(in: model, method: Self.name)
        _ = try TrainingData.require(context, for: Self.name, purpose: "quantization-aware training", model: model)
    }
}

extension LowRankSVD {
    public func validate(_ model: Model, context: CompressionContext) throws {
        let selected = try layers.indices(in: model, method: Self.name)
        if finetuneEpochs > 0 {
            _ = try TrainingData.require(context, for: Self.name, purpose: "fine-tuning (finetune_epochs=\(finetuneEpochs))", model: model)
        }
        try validateEmbeddingAndCalibration(model, context: context)
        guard case .rank = rule, embedding != .only else { return }   // embedding=only touches no Linear
        for i in selected {
            let layer = model.layers[i]
            _ = try Self.rank(for: rule, layer: layer.name, rows: layer.outFeatures, columns: layer.inFeatures) { [] }
        }
    }
}
