import Foundation
import PareNN
import PareTensor

/// ASVD's idea (Yuan et al., "ASVD: Activation-aware Singular Value Decomposition"): input
/// features that carry large activations matter more to a layer's output, so factor
/// W·diag(s) — whose truncation error weighs column j by s_j — and fold diag(1/s) back into the
/// right factor: W ≈ U_k·Σ_k^½ · (Σ_k^½·V_kᵀ·diag(1/s)). With s = 1 this is plain SVD.
public enum ActivationAwareSVD {
    /// ASVD's scaling: s_j = (mean |X_j|)^alpha + 1e-6 (the reference code's offset, so a
    /// feature that is never active does not divide by zero).
    public static func scales(meanAbs: [Float], alpha: Double) -> [Float] {
        meanAbs.map { Float(pow(Double($0), alpha) + 1e-6) }
    }

    /// The rank-k factors of `weight` [out, in] weighted by `scales` (one per input column),
    /// with `svd` the decomposition of W·diag(s) (`scaledSVD`).
    public static func factors(svd: SVD, rank k: Int, scales: [Float]) -> LowRankWeight {
        var w = LowRankWeight(svd: svd, rank: k)
        let n = w.inFeatures
        precondition(scales.count == n, "\(scales.count) scales for \(n) input columns")
        w.right.data.withUnsafeMutableBufferPointer { r in
            for i in 0..<k { for j in 0..<n { r[i * n + j] /= scales[j] } }
        }
        return w
    }

    /// The SVD of W·diag(s).
    public static func scaledSVD(_ weight: Tensor, scales: [Float]) -> SVD {
        var scaled = weight
        let n = weight.columns
        scaled.data.withUnsafeMutableBufferPointer { w in
            for i in 0..<weight.rows { for j in 0..<n { w[i * n + j] *= scales[j] } }
        }
        return SVD(scaled)
    }
}

/// What one `lowrank-svd` run has factored so far: the notes, the energy kept per layer, the count.
struct FactoringRun {
    let method: LowRankSVD
    var notes: [String] = []
    var retained: [Double] = []
    var factored = 0

    init(method: LowRankSVD) { self.method = method }

    /// The factors of `layer` (nil, with a note, when factoring would not reduce parameters);
    /// `scales` makes it activation-aware.
    mutating func factor(_ layer: LinearLayer, scales: [Float]?) throws -> LowRankWeight? {
        try factor(layer.weight.decoded(), name: layer.name, scales: scales)
    }

    mutating func factor(_ weight: Tensor, name: String, scales: [Float]?) throws -> LowRankWeight? {
        let m = weight.rows, n = weight.columns
        var svd: SVD?
        func decomposition() -> SVD {
            if svd == nil { svd = scales.map { ActivationAwareSVD.scaledSVD(weight, scales: $0) } ?? SVD(weight) }
            return svd!
        }
        let k = try LowRankSVD.rank(for: method.rule, layer: name, rows: m, columns: n) { decomposition().singularValues }
        guard LowRankSVD.reducesParameters(rank: k, rows: m, columns: n) else {
            notes.append("\(name) left dense: rank \(k) would store \(k * (m + n)) values, not fewer than the \(m * n) of the dense [\(m), \(n)] matrix (factoring pays only up to rank \(LowRankSVD.breakEvenRank(rows: m, columns: n))).")
            return nil
        }
        let d = decomposition()
        let total = d.singularValues.reduce(0) { $0 + $1 * $1 }
        let kept = d.singularValues.prefix(k).reduce(0) { $0 + $1 * $1 }
        let energy = total > 0 ? kept / total : 1
        retained.append(energy)
        factored += 1
        let weighted = scales == nil ? "" : " of the activation-weighted matrix"
        notes.append("\(name) factored at rank \(k) of \(min(m, n)): \(k * (m + n)) of \(m * n) values (\(LowRankSVD.percent(Double(k * (m + n)) / Double(m * n)))), \(LowRankSVD.percent(energy)) of the energy\(weighted) kept.")
        return scales.map { ActivationAwareSVD.factors(svd: d, rank: k, scales: $0) } ?? LowRankWeight(svd: d, rank: k)
    }
}

extension LowRankSVD {
    /// The checks of `embedding=` and `activation_aware=` (called by `validate`).
    func validateEmbeddingAndCalibration(_ model: Model, context: CompressionContext) throws {
        if embedding != .no {
            guard case .decoder(let decoder)? = model.transformer else {
                throw ConfigError("\(Self.name): embedding=\(embedding.rawValue) factors a decoder LM's token embedding, and this model is \(model.isTransformer ? "an encoder" : "an MLP"); leave embedding out.")
            }
            let e = decoder.embedTokens
            _ = try Self.rank(for: rule, layer: e.name, rows: e.count, columns: e.dim) { [] }
        }
        guard activationAware, embedding != .only else { return }
        if model.isTransformer {
            let decoder = try BlockwiseCalibration.requireDecoder(model, for: "\(Self.name) activation_aware=true")
            _ = try BlockwiseCalibration.requireWindows(context, for: "\(Self.name) activation_aware=true")
            let inBlocks = Set(decoder.layers.flatMap(\.linears).map(\.name))
            let selected = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
            if let outside = selected.first(where: { !inBlocks.contains($0) }) {
                throw ConfigError("\(Self.name): activation_aware=true calibrates the Linear layers inside the decoder blocks, and \(outside) is not one; leave it out of layers= or factor it in a run without activation_aware.")
            }
        } else {
            _ = try Calibration.require(context, for: "\(Self.name) activation_aware=true", model: model)
        }
    }

    /// ASVD on a decoder, block by block: each group of Linears sharing an input is scaled by
    /// that input's mean |X| over the calibration windows, computed with the earlier layers
    /// already factored.
    func factorBlockwise(_ model: Model, context: CompressionContext, run: inout FactoringRun) throws -> Model {
        let decoder = try BlockwiseCalibration.requireDecoder(model, for: Self.name)
        let windows = try BlockwiseCalibration.requireWindows(context, for: Self.name)
        let selected = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: Self.name)
        let alpha = self.alpha
        let compressed = try BlockwiseCalibration.run(decoder, windows: windows, selected: selected, label: "ASVD",
                                                      progress: context.progress) { group, decoder in
            let scales = ActivationAwareSVD.scales(meanAbs: InputStatistics.columnMeanAbs(group.inputs), alpha: alpha)
            var replaced: [String: LowRankWeight] = [:]
            for path in group.paths {
                guard let layer = decoder.linears.first(where: { $0.name == path }) else { continue }
                if let w = try run.factor(layer, scales: scales) { replaced[path] = w }
            }
            decoder.mapLinears { linear in
                guard let w = replaced[linear.name] else { return linear }
                return Linear(name: linear.name, weight: w, bias: linear.bias)
            }
            return .weightsOnly
        }
        return Model(transformer: .decoder(compressed))
    }

    /// The decoder's token embedding as two factors (plain SVD: its input is a one-hot token).
    func factorEmbedding(_ model: Model, run: inout FactoringRun) throws -> Model {
        guard case .decoder(var decoder)? = model.transformer else { return model }
        let table = decoder.embedTokens
        guard let factors = try run.factor(table.weight, name: table.name, scales: nil) else { return model }
        decoder.factorTokenEmbedding(factors)
        if decoder.lmHeadIsTied {
            run.notes.append("lm_head is tied to \(table.name), so it runs on the same factors: logits = (h·Bᵀ)·Aᵀ, stored once.")
        }
        return Model(transformer: .decoder(decoder))
    }
}
