import PareNN
import PareTensor

extension StaticQuantizer {
    /// Static W8A8 of a decoder LM or an encoder, block by block: each group's one activation range (per
    /// tensor, the observer's) is observed on the input the group sees from the already
    /// quantized layers before it, and shared by the group's layers (they read the same input).
    static func quantize(_ model: Model, layers: LayerSelection, options: ActivationQuantOptions,
                         context: CompressionContext, method: String) throws -> Model {
        try BlockwiseCalibration.replacingLayers(model, layers: layers, context: context, method: method) { group, current in
            let range = options.observe(InputStatistics.stacked(group.inputs).data)
            return current.map { layer in
                let q = StaticInt8Linear(quantizing: layer.weight.decoded(), activationRange: range,
                                         activationFormat: options.format)
                return Linear(name: layer.name, weight: q, bias: layer.bias)
            }
        }
    }
}

extension QuantStatic {
    public func checkTransformerSupport() throws {}

}

extension QuantSmooth {
    /// SmoothQuant on a decoder LM as its reference code runs it: the smoothing factors come from
    /// the fp32 model's activation maxima on the calibration windows and are folded into the
    /// preceding norms (and, with fold=linear, into v_proj and up_proj), so the smoothed fp32
    /// model computes the same function at no run-time cost; then static W8A8 block by block.
    func compressTransformer(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        let decoder = try BlockwiseCalibration.requireDecoder(model, for: Self.name)
        let windows = try BlockwiseCalibration.requireWindows(context, for: Self.name)
        let selected = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
        try checkFoldable(selected)
        context.progress(0, "\(Self.name) activation ranges")
        let smoothed = try DecoderSmoothing.smooth(decoder, windows: windows, alpha: alpha, fold: fold, selected: Set(selected))
        let quantized = try StaticQuantizer.quantize(Model(transformer: .decoder(smoothed.decoder)), layers: layers,
                                                     options: activation, context: context, method: Self.name)
        return CompressionResult(model: quantized, notes: smoothed.notes)
    }

    /// With fold=norm, layers the user named that have no norm before them (o_proj, down_proj)
    /// cannot be smoothed: an error rather than a silent plain W8A8. With the default layers they
    /// are quantized unsmoothed, and the run's notes say so.
    func checkFoldable(_ selected: [String]) throws {
        guard fold == .norm, layers.names != nil,
              let bad = selected.first(where: { BlockStage.attentionOutput.contains($0) || BlockStage.mlpOutput.contains($0) })
        else { return }
        throw ConfigError("\(Self.name): \(bad) has no norm before it to fold the smoothing into (fold=norm); use fold=linear to fold it into the Linear before it, or leave it out of layers=.")
    }

    public func checkTransformerSupport() throws {}

}
