import PareNN
import PareTensor

extension QuantGPTQ {
    /// GPTQ on a decoder LM or an encoder, block by block: the layers of one group (q/k/v; o; gate/up; down)
    /// read the same input, so they share one Hessian, computed once from that input.
    func compressTransformer(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        var notes: [String] = []
        let out = try BlockwiseCalibration.replacingLayers(model, layers: layers, context: context, method: Self.name) { group, current in
            var h = InputStatistics.gram(group.inputs)
            let scale = 2 / Double(max(group.rows, 1))
            for i in h.indices { h[i] *= scale }
            let factor = try GPTQ.HessianFactor(h, columns: group.width, damp: damp, actOrder: actOrder, layer: group.paths[0])
            return try current.map { layer in
                let path = layer.name
                let granularity = try options.granularity(for: layer, method: Self.name)
                let w = layer.weight.decoded()
                let keep: [Bool]? = w.data.contains(0) ? w.data.map { $0 != 0 } : nil
                let result = try GPTQ.quantize(w, factor: factor, format: options.format, granularity: granularity,
                                               blockSize: blockSize, layer: path, keep: keep, staticGroups: staticGroups)
                if result.dampUsed != damp {
                    notes.append("\(path): H was not positive definite with damp=\(damp); used damp=\(result.dampUsed).")
                }
                let stored = QuantizedStorage.smallest(codes: result.weight.codes, params: result.weight.params, keep: keep)
                return Linear(name: path, weight: stored, bias: layer.bias)
            }
        }
        return CompressionResult(model: out, notes: notes)
    }

    public func checkTransformerSupport() throws {}

}
