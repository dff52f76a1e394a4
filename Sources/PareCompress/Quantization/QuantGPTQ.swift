import PareNN
import PareTensor

/// `quant-gptq`: GPTQ weight-only quantization (Frantar et al. 2022, Algorithm 1). Per layer,
/// H = 2/n·XᵀX over the calibration inputs X the layer sees (from the already-quantized layers
/// before it) plus damp·mean(diag H); columns are quantized in order and each column's rounding
/// error is fed back into the not-yet-quantized columns through the upper Cholesky factor of H⁻¹,
/// in blocks of block_size columns with lazy batch updates. Options as quant-weight (bits default 4)
/// plus damp=0.01, block_size=128, act_order=false (columns by decreasing H_jj) and
/// static_groups=false (group scales fitted before any update; required with act_order and
/// groups). Stored in the same `quantized` encoding as quant-weight. On a decoder LM it runs
/// block by block (`BlockwiseCalibration`), q/k/v and gate/up sharing one Hessian each.
public struct QuantGPTQ: CompressionMethod {
    public static let name = "quant-gptq"
    public static let summary = "GPTQ: weight-only quantization with Hessian-aware error feedback from --calib inputs."

    let options: WeightQuantOptions
    let damp: Double
    let blockSize: Int
    let layers: LayerSelection
    let actOrder: Bool
    let staticGroups: Bool

    public init(settings: Settings) throws {
        var s = settings
        options = try WeightQuantOptions(settings: &s, defaultBits: 4)
        damp = try s.double("damp", default: 0.01, valid: ("in [0, 1]", { $0 >= 0 && $0 <= 1 }))!
        blockSize = try s.int("block_size", default: 128, valid: ("a positive whole number", { $0 > 0 }))!
        actOrder = try s.string("act_order", default: "false", oneOf: ["true", "false"]) == "true"
        staticGroups = try s.string("static_groups", default: "false", oneOf: ["true", "false"]) == "true"
        layers = LayerSelection(settings: &s)
        try s.finish()
        if actOrder && options.granularity == "group" && !staticGroups {
            throw ConfigError("\(Self.name): act_order=true with granularity=group needs static_groups=true, because Pare stores each group's columns together.")
        }
        if staticGroups && options.granularity != "group" {
            throw ConfigError("\(Self.name): static_groups only applies to granularity=group (granularity is \(options.granularity)).")
        }
    }

    public var config: [String: ConfigValue] {
        options.config.merging(["damp": .double(damp), "block_size": .int(blockSize), "layers": .string(layers.recorded),
                                "act_order": .bool(actOrder), "static_groups": .bool(staticGroups)]) { a, _ in a }
    }

    public func compress(_ model: Model, context: CompressionContext) throws -> CompressionResult {
        if model.isTransformer { return try compressTransformer(model, context: context) }
        let indices = try layers.indices(in: model, method: Self.name)
        let calibration = try Calibration.require(context, for: Self.name, model: model)
        var out = model
        var notes: [String] = []
        for (n, i) in indices.enumerated() {
            let layer = out.layers[i]
            let granularity = try options.granularity(for: layer, method: Self.name)
            let x = Calibration.input(ofLayer: i, out, on: calibration.features)
            let w = layer.weight.decoded()
            // A pruned layer: its zeros stay zero (GPTQ feeds their error into the kept weights).
            let keep: [Bool]? = w.data.contains(0) ? w.data.map { $0 != 0 } : nil
            let result = try GPTQ.quantize(w, inputs: x, format: options.format, granularity: granularity,
                                           damp: damp, blockSize: blockSize, layer: layer.name, keep: keep,
                                           actOrder: actOrder, staticGroups: staticGroups)
            if result.dampUsed != damp {
                notes.append("\(layer.name): H was not positive definite with damp=\(damp); used damp=\(result.dampUsed).")
            }
            out = out.replacingWeight(at: i, with: QuantizedStorage.smallest(codes: result.weight.codes,
                                                                             params: result.weight.params, keep: keep))
            context.progress(Double(n + 1) / Double(indices.count), layer.name)
        }
        return CompressionResult(model: out, notes: notes)
    }
}

/// The GPTQ algorithm on one matrix, usable on its own (tests compare it to a direct computation).
public enum GPTQ {
    public struct Result: Sendable {
        public var weight: QuantizedWeight
        /// The dampening actually used (raised tenfold until H + damp·I was positive definite).
        public var dampUsed: Double
    }

    /// Quantizes `weight` [out, in] given `inputs` [n, in]: H = 2/n·XᵀX, then `quantize(_:hessian:…)`.
    public static func quantize(_ weight: Tensor, inputs: Tensor, format: QuantFormat, granularity: QuantGranularity,
                                damp: Double = 0.01, blockSize: Int = 128, layer: String = "weight",
                                keep: [Bool]? = nil, actOrder: Bool = false, staticGroups: Bool = false) throws -> Result {
        let cols = weight.columns
        guard inputs.columns == cols else {
            throw ConfigError("quant-gptq: layer \(layer) takes \(cols) inputs but its calibration inputs have \(inputs.columns).")
        }
        var h = SparseGPTPruning.hessian(inputs)
        let scale = 2 / Double(max(inputs.rows, 1))
        for i in h.indices { h[i] *= scale }
        return try quantize(weight, hessian: h, format: format, granularity: granularity, damp: damp,
                            blockSize: blockSize, layer: layer, keep: keep, actOrder: actOrder, staticGroups: staticGroups)
    }

    /// Quantizes `weight` [out, in] given the Hessian H [in, in] of its inputs (any positive
    /// multiple of XᵀX: the updates and the relative damping do not depend on the scale).
    /// With `keep` (a pruned layer: false = pruned), pruned weights are fixed at exactly 0 (their
    /// group's zero point) and only the kept weights are quantized, each one's rounding error —
    /// and a pruned weight's drift from 0 — fed forward into the kept weights not yet quantized.
    /// `actOrder` quantizes the columns in order of decreasing H_jj (the reference's
    /// `act_order`/`desc_act`); `staticGroups` fits every group's scale on the weights before any
    /// update (the reference's `static_groups`), which act_order with groups requires here because
    /// Pare stores each group's columns contiguously.
    public static func quantize(_ weight: Tensor, hessian: [Double], format: QuantFormat, granularity: QuantGranularity,
                                damp: Double = 0.01, blockSize: Int = 128, layer: String = "weight",
                                keep: [Bool]? = nil, actOrder: Bool = false, staticGroups: Bool = false) throws -> Result {
        precondition(keep == nil || keep!.count == weight.count, "GPTQ: keep mask does not fit the weight")
        let rows = weight.rows, cols = weight.columns
        precondition(hessian.count == cols * cols, "GPTQ: Hessian must be \(cols)×\(cols)")
        do { try QuantParams.validate(granularity, rows: rows, columns: cols, layer: layer) }
        catch { throw ConfigError("quant-gptq: \(error)") }
        if case .group = granularity, actOrder, !staticGroups {
            throw ConfigError("quant-gptq: act_order with group-wise scales needs static_groups=true, because Pare stores each group's columns together.")
        }
        var h = hessian
        var w = weight.data.map(Double.init)
        // Dead inputs (never nonzero): H_jj = 1 and the column contributes nothing.
        for j in 0..<cols where h[j * cols + j] == 0 {
            h[j * cols + j] = 1
            for r in 0..<rows { w[r * cols + j] = 0 }
        }
        // Parameters: per tensor / per channel fitted once on W; per group at each group's first
        // column as the sweep reaches it, or all up front (static groups) on W before any update.
        var scales: [Float], zps: [Int32]
        let perGroup: Int?
        switch granularity {
        case .tensor, .channel:
            let p = try QuantParams.fit(Tensor(shape: [rows, cols], data: w.map(Float.init)), format: format, granularity: granularity)
            scales = p.scales; zps = p.zeroPoints; perGroup = nil
        case .group(let g):
            scales = [Float](repeating: 0, count: rows * (cols / g)); zps = [Int32](repeating: 0, count: rows * (cols / g)); perGroup = g
        }
        let groupsPerRow = perGroup.map { cols / $0 } ?? 1
        func fitGroup(row r: Int, columns: [Int], values: (Int) -> Double, into gi: Int) {
            var lo: Float = 0, hi: Float = 0
            for j in columns where keep?[r * cols + j] ?? true {
                let v = Float(values(j)); lo = min(lo, v); hi = max(hi, v)
            }
            let p = format.params(min: lo, max: hi)
            scales[gi] = p.scale; zps[gi] = p.zeroPoint
        }
        if let g = perGroup, staticGroups {
            for r in 0..<rows { for k in 0..<groupsPerRow { fitGroup(row: r, columns: Array(k * g ..< (k + 1) * g), values: { w[r * cols + $0] }, into: r * groupsPerRow + k) } }
        }
        // The sweep runs over positions p; column perm[p] of the original is at position p.
        let perm = actOrder ? (0..<cols).sorted { h[$0 * cols + $0] > h[$1 * cols + $1] || (h[$0 * cols + $0] == h[$1 * cols + $1] && $0 < $1) }
                            : Array(0..<cols)
        if actOrder {
            var pw = w, ph = h
            for r in 0..<rows { for p in 0..<cols { pw[r * cols + p] = w[r * cols + perm[p]] } }
            for a in 0..<cols { for b in 0..<cols { ph[a * cols + b] = h[perm[a] * cols + perm[b]] } }
            w = pw; h = ph
        }
        let keepAt: (Int, Int) -> Bool = { r, p in keep?[r * cols + perm[p]] ?? true }
        let meanDiag = (0..<cols).reduce(0.0) { $0 + h[$1 * cols + $1] } / Double(cols)
        var dampUsed = damp
        var u: [Double]? = nil
        for _ in 0..<8 {
            var hd = h
            let add = dampUsed * meanDiag
            for j in 0..<cols { hd[j * cols + j] += add }
            if let factor = upperCholeskyOfInverse(hd, cols) { u = factor; break }
            dampUsed = dampUsed == 0 ? 0.01 : dampUsed * 10
        }
        guard let u else {
            throw ConfigError("quant-gptq: the Hessian of layer \(layer) is not positive definite even with damp=\(dampUsed); raise damp.")
        }

        var codes = [Int32](repeating: 0, count: rows * cols)
        var err = [Double](repeating: 0, count: rows * blockSize)
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + blockSize, cols)
            for i in i1..<i2 {
                let column = perm[i]
                if let g = perGroup, !staticGroups, i % g == 0 {
                    for r in 0..<rows {
                        var lo: Float = 0, hi: Float = 0
                        for j in i..<(i + g) where keepAt(r, j) {
                            let v = Float(w[r * cols + j]); lo = min(lo, v); hi = max(hi, v)
                        }
                        let p = format.params(min: lo, max: hi)
                        scales[r * groupsPerRow + i / g] = p.scale; zps[r * groupsPerRow + i / g] = p.zeroPoint
                    }
                }
                let d = u[i * cols + i]
                for r in 0..<rows {
                    let gi: Int
                    switch granularity {
                    case .tensor: gi = 0
                    case .channel: gi = r
                    case .group(let g): gi = r * groupsPerRow + column / g
                    }
                    let value = w[r * cols + i]
                    let code = keepAt(r, i) ? format.quantize(Float(value), scale: scales[gi], zeroPoint: zps[gi]) : zps[gi]
                    codes[r * cols + column] = code
                    let q = Double(format.dequantize(code, scale: scales[gi], zeroPoint: zps[gi]))
                    let e = (value - q) / d
                    err[r * blockSize + (i - i1)] = e
                    // Feed the error into the rest of this block now.
                    if i + 1 < i2 {
                        w.withUnsafeMutableBufferPointer { wp in
                            u.withUnsafeBufferPointer { up in
                                SymmetricMatrix.subtractScaled(wp.baseAddress! + r * cols + i + 1, up.baseAddress! + i * cols + i + 1, e, i2 - i - 1)
                            }
                        }
                    }
                }
            }
            // Lazy batch update of every later column.
            if i2 < cols {
                w.withUnsafeMutableBufferPointer { wp in
                    u.withUnsafeBufferPointer { up in
                        for r in 0..<rows {
                            let wr = wp.baseAddress! + r * cols
                            for i in i1..<i2 {
                                let e = err[r * blockSize + (i - i1)]
                                if e == 0 { continue }
                                SymmetricMatrix.subtractScaled(wr + i2, up.baseAddress! + i * cols + i2, e, cols - i2)
                            }
                        }
                    }
                }
            }
            i1 = i2
        }
        let params = QuantParams(format: format, granularity: granularity, rows: rows, columns: cols, scales: scales, zeroPoints: zps)
        return Result(weight: QuantizedWeight(codes: codes, params: params), dampUsed: dampUsed)
    }

    /// U upper triangular with UᵀU = A⁻¹ (torch: cholesky(cholesky_inverse(cholesky(A)), upper=True)),
    /// or nil if A is not positive definite.
    static func upperCholeskyOfInverse(_ a: [Double], _ n: Int) -> [Double]? {
        SymmetricMatrix.upperCholeskyOfInverse(a, n: n)
    }
}
