import PareNN
import PareTensor

/// Where SmoothQuant folds the 1/s of a layer's input: into the norm before it only (the
/// paper's q/k/v and MLP-input layers), or also into the Linear before it where that is exact
/// (v_proj before o_proj — scales tied across the query heads of a key/value group — and up_proj
/// before down_proj in a gated MLP).
public enum SmoothingFold: String, Sendable, CaseIterable { case norm, linear }

/// The fp32 smoothing of a decoder: W ← W·diag(s) for every Linear reading a smoothed input,
/// 1/s folded upstream. Exact up to float rounding (a test checks the logits).
public enum DecoderSmoothing {
    public struct Result: Sendable {
        public var decoder: CausalDecoder
        /// The smoothing factors per smoothed group, keyed by the group's first Linear path.
        public var factors: [String: [Float]]
        public var notes: [String]
    }

    public static func smooth(_ decoder: CausalDecoder, windows: TextWindows, alpha: Double, fold: SmoothingFold,
                              selected: Set<String>) throws -> Result {
        let maxima = try activationMaxima(decoder, windows: windows, paths: selected)
        var model = decoder
        var factors: [String: [Float]] = [:]
        var unsmoothed: [String] = []
        for b in model.layers.indices {
            let layer = model.layers[b]
            let attention = layer.attention
            // q/k/v after the input norm.
            let qkv = [attention.query, attention.key, attention.value]
            if let first = qkv.first(where: { selected.contains($0.name) }) {
                let s = try groupFactors(for: qkv, activationMax: maxima[first.name]!, alpha: alpha)
                try scaleColumns(of: qkv, by: s, in: &model)
                model.layers[b].inputNorm.divideOutput(by: s)
                factors[qkv[0].name] = s
            }
            // o after attention: through v_proj, one factor per (key/value group, dimension).
            if selected.contains(attention.output.name) {
                if fold == .linear {
                    let s = try tiedOutputFactors(attention, activationMax: maxima[attention.output.name]!, alpha: alpha)
                    try scaleColumns(of: [attention.output], by: s.perQueryColumn, in: &model)
                    try divideRows(of: attention.value, by: s.perValueRow, in: &model)
                    factors[attention.output.name] = s.perQueryColumn
                } else {
                    unsmoothed.append(attention.output.name)
                }
            }
            // gate/up after the post-attention norm; down after up.
            switch layer.mlp {
            case .gated(let mlp):
                let inputs = [mlp.gate, mlp.up]
                if let first = inputs.first(where: { selected.contains($0.name) }) {
                    let s = try groupFactors(for: inputs, activationMax: maxima[first.name]!, alpha: alpha)
                    try scaleColumns(of: inputs, by: s, in: &model)
                    model.layers[b].postAttentionNorm.divideOutput(by: s)
                    factors[mlp.gate.name] = s
                }
                if selected.contains(mlp.down.name) {
                    if fold == .linear {
                        // up_proj's output j multiplies act(gate)_j, so dividing its row j by s_j is exact.
                        let current = model.linear(at: mlp.up.name)!
                        let down = model.linear(at: mlp.down.name)!
                        let s = try groupFactors(for: [down], activationMax: maxima[mlp.down.name]!, alpha: alpha)
                        try scaleColumns(of: [down], by: s, in: &model)
                        try divideRows(of: current, by: s, in: &model)
                        factors[mlp.down.name] = s
                    } else {
                        unsmoothed.append(mlp.down.name)
                    }
                }
            case .plain(let mlp):
                if selected.contains(mlp.up.name) {
                    let s = try groupFactors(for: [mlp.up], activationMax: maxima[mlp.up.name]!, alpha: alpha)
                    try scaleColumns(of: [mlp.up], by: s, in: &model)
                    model.layers[b].postAttentionNorm.divideOutput(by: s)
                    factors[mlp.up.name] = s
                }
                // The activation between up and down is not positively homogeneous in general.
                if selected.contains(mlp.down.name) { unsmoothed.append(mlp.down.name) }
            }
        }
        var notes = ["smoothing (alpha=\(alpha)) folded into the norms\(fold == .linear ? ", v_proj and up_proj" : "") of \(factors.count) layer groups."]
        if !unsmoothed.isEmpty {
            notes.append("\(unsmoothed.count) layers have no norm before them and were quantized without smoothing (fold=\(fold.rawValue)), e.g. \(unsmoothed[0]).")
        }
        return Result(decoder: model, factors: factors, notes: notes)
    }

    /// max|X_j| of each watched Linear's input over every window, on the fp32 model.
    static func activationMaxima(_ decoder: CausalDecoder, windows: TextWindows, paths: Set<String>) throws -> [String: [Float]] {
        var maxima: [String: [Float]] = [:]
        let observer = LinearInputObserver(paths: paths) { path, x in
            let stat = InputStatistics.columnMaxAbs([x])
            if let old = maxima[path] { maxima[path] = zip(old, stat).map { max($0, $1) } } else { maxima[path] = stat }
        }
        for w in windows.windows { _ = try decoder.hiddenStates(tokens: w, observer: observer) }
        return maxima
    }

    /// s_j = max|X_j|^α / max_layers max|W_{:,j}|^(1−α), over every layer reading the input.
    static func groupFactors(for layers: [Linear], activationMax: [Float], alpha: Double) throws -> [Float] {
        let width = layers[0].inFeatures
        var wMax = [Float](repeating: 0, count: width)
        for layer in layers {
            let w = try denseWeight(layer)
            for r in 0..<w.rows { for j in 0..<width { wMax[j] = max(wMax[j], abs(w.data[r * width + j])) } }
        }
        return SmoothQuant.factors(activationMax: activationMax, weightMax: wMax, alpha: alpha)
    }

    /// o_proj's factors tied across the query heads that read one key/value head, so they fold
    /// into v_proj's rows: s(g, d) from the maxima over those heads' columns.
    static func tiedOutputFactors(_ attention: Attention, activationMax: [Float], alpha: Double)
        throws -> (perQueryColumn: [Float], perValueRow: [Float]) {
        let o = try denseWeight(attention.output)
        let width = o.columns
        var xTied = [Float](repeating: 0, count: attention.kvHeads * attention.headDim), wTied = xTied
        for column in 0..<width {
            let row = attention.valueRow(readBy: column)
            xTied[row] = max(xTied[row], activationMax[column])
            for r in 0..<o.rows { wTied[row] = max(wTied[row], abs(o.data[r * width + column])) }
        }
        let tied = SmoothQuant.factors(activationMax: xTied, weightMax: wTied, alpha: alpha)
        return (attention.perOutputColumn(tied), tied)
    }

    static func denseWeight(_ layer: Linear) throws -> Tensor {
        guard layer.weight is DenseWeight else {
            throw ConfigError("quant-smooth folds its scales into fp32 weights, but \(layer.name) is already stored as \(layer.weight.encodingName); smooth before other compression.")
        }
        return layer.weight.decoded()
    }

    static func scaleColumns(of layers: [Linear], by s: [Float], in model: inout CausalDecoder) throws {
        for layer in layers {
            var w = try denseWeight(model.linear(at: layer.name)!)
            let k = w.columns
            for r in 0..<w.rows { for j in 0..<k { w.data[r * k + j] *= s[j] } }
            try model.setLinear(Linear(name: layer.name, weight: DenseWeight(w), bias: layer.bias), at: layer.name)
        }
    }

    static func divideRows(of layer: Linear, by s: [Float], in model: inout CausalDecoder) throws {
        let current = model.linear(at: layer.name)!
        var w = try denseWeight(current)
        let k = w.columns
        for r in 0..<w.rows { for j in 0..<k { w.data[r * k + j] /= s[r] } }
        let bias = current.bias.map { b in b.indices.map { b[$0] / s[$0] } }
        try model.setLinear(Linear(name: layer.name, weight: DenseWeight(w), bias: bias), at: layer.name)
    }
}

extension Attention {
    /// The v_proj output row (key/value group, dimension) that o_proj's input `column` (query
    /// head, dimension) is made from: a scale of that row reaches every query head of the group.
    func valueRow(readBy column: Int) -> Int {
        (column / headDim / (heads / kvHeads)) * headDim + column % headDim
    }

    /// Per-v_proj-row values spread to o_proj's input columns.
    func perOutputColumn(_ perValueRow: [Float]) -> [Float] {
        (0..<heads * headDim).map { perValueRow[valueRow(readBy: $0)] }
    }
}
