import Dispatch
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
        let factor = try HessianFactor(hessian, columns: weight.columns, damp: damp, actOrder: actOrder, layer: layer)
        return try quantize(weight, factor: factor, format: format, granularity: granularity, blockSize: blockSize,
                            layer: layer, keep: keep, staticGroups: staticGroups)
    }

    /// What GPTQ needs of a Hessian, computed once and shared by every layer that reads the same
    /// input (q/k/v; gate/up): the dead inputs, the column order, and the upper Cholesky factor
    /// U of (H + damp·mean(diag H)·I)⁻¹ in that order, with the damping actually used (raised
    /// tenfold until H + damp·I was positive definite).
    public struct HessianFactor: Sendable {
        public let columns: Int
        public let dead: [Int]
        public let order: [Int]
        public let actOrder: Bool
        let u: [Double]
        public let dampUsed: Double

        public init(_ hessian: [Double], columns cols: Int, damp: Double, actOrder: Bool, layer: String) throws {
            precondition(hessian.count == cols * cols, "GPTQ: Hessian must be \(cols)×\(cols)")
            var h = hessian
            // Dead inputs (never nonzero): H_jj = 1 and the column contributes nothing.
            let dead = (0..<cols).filter { h[$0 * cols + $0] == 0 }
            for j in dead { h[j * cols + j] = 1 }
            // The sweep runs over positions p; column order[p] of the original is at position p.
            let order = actOrder ? (0..<cols).sorted { h[$0 * cols + $0] > h[$1 * cols + $1] || (h[$0 * cols + $0] == h[$1 * cols + $1] && $0 < $1) }
                                 : Array(0..<cols)
            if actOrder {
                let ph = h
                for a in 0..<cols { for b in 0..<cols { h[a * cols + b] = ph[order[a] * cols + order[b]] } }
            }
            let meanDiag = (0..<cols).reduce(0.0) { $0 + h[$1 * cols + $1] } / Double(cols)
            var dampUsed = damp
            var u: [Double]? = nil
            for _ in 0..<8 {
                var hd = h
                let add = dampUsed * meanDiag
                for j in 0..<cols { hd[j * cols + j] += add }
                if let factor = GPTQ.upperCholeskyOfInverse(hd, cols) { u = factor; break }
                dampUsed = dampUsed == 0 ? 0.01 : dampUsed * 10
            }
            guard let u else {
                throw ConfigError("quant-gptq: the Hessian of layer \(layer) is not positive definite even with damp=\(dampUsed); raise damp.")
            }
            (self.columns, self.dead, self.order, self.actOrder, self.u, self.dampUsed) = (cols, dead, order, actOrder, u, dampUsed)
        }
    }

    /// Quantizes `weight` [out, in] with a factored Hessian of its inputs (see `quantize(_:hessian:…)`).
    public static func quantize(_ weight: Tensor, factor: HessianFactor, format: QuantFormat, granularity: QuantGranularity,
                                blockSize: Int = 128, layer: String = "weight",
                                keep: [Bool]? = nil, staticGroups: Bool = false) throws -> Result {
        precondition(keep == nil || keep!.count == weight.count, "GPTQ: keep mask does not fit the weight")
        let rows = weight.rows, cols = weight.columns
        precondition(factor.columns == cols, "GPTQ: a Hessian factor of \(factor.columns) columns for a weight of \(cols)")
        do { try QuantParams.validate(granularity, rows: rows, columns: cols, layer: layer) }
        catch { throw ConfigError("quant-gptq: \(error)") }
        if case .group = granularity, factor.actOrder, !staticGroups {
            throw ConfigError("quant-gptq: act_order with group-wise scales needs static_groups=true, because Pare stores each group's columns together.")
        }
        var w = weight.data.map(Double.init)
        for j in factor.dead { for r in 0..<rows { w[r * cols + j] = 0 } }
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
        if let g = perGroup, staticGroups {
            for r in 0..<rows {
                for k in 0..<groupsPerRow {
                    var lo: Float = 0, hi: Float = 0
                    for j in (k * g)..<((k + 1) * g) where keep?[r * cols + j] ?? true {
                        let v = Float(w[r * cols + j]); lo = min(lo, v); hi = max(hi, v)
                    }
                    let p = format.params(min: lo, max: hi)
                    scales[r * groupsPerRow + k] = p.scale; zps[r * groupsPerRow + k] = p.zeroPoint
                }
            }
        }
        let perm = factor.order
        if factor.actOrder {
            let original = w
            for r in 0..<rows { for p in 0..<cols { w[r * cols + p] = original[r * cols + perm[p]] } }
        }
        let u = factor.u
        let dampUsed = factor.dampUsed

        // Rows are independent: each row's rounding errors feed only its own later columns. So
        // each row is swept on its own — row-major in memory — and the rows run on every core.
        var codes = [Int32](repeating: 0, count: rows * cols)
        w.withUnsafeMutableBufferPointer { wp in
            u.withUnsafeBufferPointer { up in
                codes.withUnsafeMutableBufferPointer { cp in
                    scales.withUnsafeMutableBufferPointer { sp in
                        zps.withUnsafeMutableBufferPointer { zp in
                            let job = GPTQRowSweep(w: wp.baseAddress!, u: up.baseAddress!, codes: cp.baseAddress!,
                                                   scales: sp.baseAddress!, zeroPoints: zp.baseAddress!,
                                                   rows: rows, cols: cols, blockSize: blockSize, perm: perm, keep: keep,
                                                   format: format, granularity: granularity, staticGroups: staticGroups)
                            let chunks = rows >= 64 ? 16 : 1
                            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                                var err = [Double](repeating: 0, count: blockSize)
                                for r in stride(from: chunk, to: rows, by: chunks) { job.sweep(row: r, err: &err) }
                            }
                        }
                    }
                }
            }
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

/// One GPTQ row sweep over raw buffers shared by the worker threads; each row writes only its
/// own weights, codes and group parameters.
private struct GPTQRowSweep: @unchecked Sendable {
    let w: UnsafeMutablePointer<Double>
    let u: UnsafePointer<Double>
    let codes: UnsafeMutablePointer<Int32>
    let scales: UnsafeMutablePointer<Float>
    let zeroPoints: UnsafeMutablePointer<Int32>
    let rows: Int, cols: Int, blockSize: Int
    let perm: [Int]
    let keep: [Bool]?
    let format: QuantFormat
    let granularity: QuantGranularity
    let staticGroups: Bool

    func sweep(row r: Int, err: inout [Double]) {
        let wr = w + r * cols
        let groupsPerRow: Int
        if case .group(let g) = granularity { groupsPerRow = cols / g } else { groupsPerRow = 1 }
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + blockSize, cols)
            for i in i1..<i2 {
                let column = perm[i]
                let kept = keep?[r * cols + column] ?? true
                let gi: Int
                switch granularity {
                case .tensor: gi = 0
                case .channel: gi = r
                case .group(let g):
                    gi = r * groupsPerRow + column / g
                    if !staticGroups, i % g == 0 {
                        // The group's scale from its current (error-fed) weights, as the sweep reaches it.
                        var lo: Float = 0, hi: Float = 0
                        for j in i..<(i + g) where keep?[r * cols + perm[j]] ?? true {
                            let v = Float(wr[j]); lo = min(lo, v); hi = max(hi, v)
                        }
                        let p = format.params(min: lo, max: hi)
                        scales[gi] = p.scale; zeroPoints[gi] = p.zeroPoint
                    }
                }
                let value = wr[i]
                let code = kept ? format.quantize(Float(value), scale: scales[gi], zeroPoint: zeroPoints[gi]) : zeroPoints[gi]
                codes[r * cols + column] = code
                let q = Double(format.dequantize(code, scale: scales[gi], zeroPoint: zeroPoints[gi]))
                let e = (value - q) / u[i * cols + i]
                err[i - i1] = e
                // Feed the error into the rest of this block now.
                if i + 1 < i2 { SymmetricMatrix.subtractScaled(wr + i + 1, u + i * cols + i + 1, e, i2 - i - 1) }
            }
            // Lazy batch update of every later column.
            if i2 < cols {
                for i in i1..<i2 where err[i - i1] != 0 {
                    SymmetricMatrix.subtractScaled(wr + i2, u + i * cols + i2, err[i - i1], cols - i2)
                }
            }
            i1 = i2
        }
    }
}
