import PareNN
import PareTensor

/// Sequential, block-by-block calibration of a decoder LM, as the SparseGPT, GPTQ and Wanda
/// reference code runs it: the calibration windows' embeddings enter block 0; in each block,
/// every group of Linear layers that read one input (q/k/v; o; gate/up; down) is handed that
/// input over all windows and compressed; then the *compressed* block produces the next block's
/// inputs. Within a block the groups go in forward order and each sees the outputs of the
/// groups already compressed (GPTQ's `true_sequential`; the SparseGPT and Wanda scripts collect
/// a whole block's inputs before pruning it — Pare gives every layer the inputs it will really
/// see at run time). Memory: the windows' activations at one point of one block (N × C × width),
/// never the model's depth.
public enum BlockwiseCalibration {
    /// One group of a block's Linear layers that read the same input, with that input over
    /// every calibration window ([T, in] each).
    public struct Group {
        public let block: Int
        public let stage: DecoderBlockStage
        /// The group's selected layers, in forward order (a subset when `layers=` says so).
        public let paths: [String]
        public let inputs: [Tensor]
        public var width: Int { inputs[0].columns }
        public var rows: Int { inputs.reduce(0) { $0 + $1.rows } }
    }

    /// Whether compressing a group changed what feeds it (a scale folded into the norm or the
    /// Linear before it), so its input must be recomputed before the block goes on.
    public enum Effect { case weightsOnly, inputChanged }

    /// Runs the calibration over `decoder` on `windows`, calling `compress` once per group that
    /// holds a layer of `selected`, and returns the compressed model. `compress` replaces the
    /// group's layers in the model it is given (and may fold scales upstream, saying so).
    /// `finishBlock`, when given, runs after a block's last group and before the block produces
    /// the next block's inputs (AWQ scales the whole block in fp32, then quantizes it there).
    public static func run(_ decoder: CausalDecoder, windows: TextWindows, selected: [String], label: String,
                           progress: (Double, String) -> Void,
                           compress: (Group, inout CausalDecoder) throws -> Effect,
                           finishBlock: ((Int, inout CausalDecoder) throws -> Void)? = nil) throws -> CausalDecoder {
        var model = decoder
        let chosen = Set(selected)
        var tables: [Int: RotaryTable] = [:]
        for w in windows.windows where tables[w.count] == nil { tables[w.count] = model.rotaryTable(count: w.count) }
        var xs = try windows.windows.map { try model.blockInput(tokens: $0) }
        let blocks = model.layers.count
        for b in 0..<blocks {
            let paths = model.layers[b].linears.map(\.name)
            var states = xs.map { DecoderBlockState(input: $0) }
            var current = xs.indices.map { model.layers[b].stageInput(.attentionInput, &states[$0], rotary: tables[xs[$0].rows]!) }
            for stage in DecoderBlockStage.allCases {
                let group = paths.filter { stage.contains($0) && chosen.contains($0) }
                if !group.isEmpty {
                    let effect = try compress(Group(block: b, stage: stage, paths: group, inputs: current), &model)
                    if effect == .inputChanged {
                        current = xs.indices.map { model.layers[b].stageInput(stage, &states[$0], rotary: tables[xs[$0].rows]!) }
                    }
                }
                if stage == .mlpOutput, let finishBlock { try finishBlock(b, &model) }
                current = xs.indices.map { model.layers[b].advance(from: stage, current[$0], &states[$0], rotary: tables[xs[$0].rows]!) }
                progress((Double(b) + Double(stage.rawValue + 1) / 4) / Double(blocks), "\(label) block \(b + 1)/\(blocks)")
            }
            xs = current
        }
        return model
    }

    /// The calibration windows of a transformer run, or a `ConfigError` naming the flag.
    public static func requireWindows(_ context: CompressionContext, for method: String) throws -> TextWindows {
        guard let windows = context.calibrationText else {
            throw ConfigError("\(method) needs calibration text on a transformer: pass --calib text:FILE[,samples=N][,context=C] (another text than --test).")
        }
        return windows
    }

    /// The checks a calibrated method makes before anything is recorded: on a transformer, a
    /// decoder and calibration windows; on an MLP nothing (its `--calib` is checked as it loads).
    public static func check(_ model: Model, context: CompressionContext, method: String) throws {
        guard model.isTransformer else { return }
        _ = try requireDecoder(model, for: method)
        _ = try requireWindows(context, for: method)
    }

    /// The decoder of a transformer model, or a `ConfigError` for an encoder.
    public static func requireDecoder(_ model: Model, for method: String) throws -> CausalDecoder {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(method) calibrates block by block on decoder LMs; it does not run on encoders yet.")
        }
        return decoder
    }
}

/// Statistics of a group's inputs that the methods share.
public enum InputStatistics {
    /// XᵀX summed over every window, in Double ([width × width], row-major): per window one
    /// float GEMM, accumulated in Double so thousands of rows lose nothing to rounding.
    public static func gram(_ inputs: [Tensor]) -> [Double] {
        let d = inputs[0].columns
        var total = [Double](repeating: 0, count: d * d)
        var part = [Float](repeating: 0, count: d * d)
        for x in inputs {
            precondition(x.columns == d, "inputs of different widths")
            x.data.withUnsafeBufferPointer { xp in
                part.withUnsafeMutableBufferPointer { pp in
                    sgemm(.yes, .no, m: d, n: d, k: x.rows, a: xp.baseAddress!, lda: d, b: xp.baseAddress!, ldb: d,
                          c: pp.baseAddress!, ldc: d)
                }
            }
            for i in total.indices { total[i] += Double(part[i]) }
        }
        return total
    }

    /// ‖X_j‖₂ of each input feature over every window, in Double (Wanda's `ColumnNorms`).
    public static func columnNorms(_ inputs: [Tensor]) -> [Double] {
        var norms = ColumnNorms(width: inputs[0].columns)
        for x in inputs { norms.add(x) }
        return norms.norms
    }

    /// max_t |X_tj| of each input feature (SmoothQuant's activation ranges).
    public static func columnMaxAbs(_ inputs: [Tensor]) -> [Float] {
        let d = inputs[0].columns
        var m = [Float](repeating: 0, count: d)
        for x in inputs {
            x.data.withUnsafeBufferPointer { xp in
                for r in 0..<x.rows {
                    let row = xp.baseAddress! + r * d
                    for j in 0..<d { m[j] = max(m[j], abs(row[j])) }
                }
            }
        }
        return m
    }

    /// mean_t |X_tj| of each input feature (AWQ's activation salience).
    public static func columnMeanAbs(_ inputs: [Tensor]) -> [Float] {
        let d = inputs[0].columns
        var s = [Double](repeating: 0, count: d)
        var n = 0
        for x in inputs {
            n += x.rows
            x.data.withUnsafeBufferPointer { xp in
                for r in 0..<x.rows {
                    let row = xp.baseAddress! + r * d
                    for j in 0..<d { s[j] += Double(abs(row[j])) }
                }
            }
        }
        return s.map { Float($0 / Double(max(n, 1))) }
    }

    /// Every window's rows stacked into one [rows, width] tensor.
    public static func stacked(_ inputs: [Tensor]) -> Tensor {
        if inputs.count == 1 { return inputs[0] }
        var data: [Float] = []
        data.reserveCapacity(inputs.reduce(0) { $0 + $1.count })
        for x in inputs { data += x.data }
        return Tensor(shape: [data.count / inputs[0].columns, inputs[0].columns], data: data)
    }
}

extension BlockwiseCalibration {
    /// A method's block-by-block pass over a transformer `model`: its `layers=` selection (the
    /// blocks' Linear layers by default), the calibration windows, the driver, and the result
    /// wrapped back into a `Model`.
    public static func compress(_ model: Model, layers: LayerSelection, context: CompressionContext, method: String,
                                compress: (Group, inout CausalDecoder) throws -> Effect,
                                finishBlock: ((Int, inout CausalDecoder) throws -> Void)? = nil) throws -> Model {
        let decoder = try requireDecoder(model, for: method)
        let windows = try requireWindows(context, for: method)
        let known = model.layers.map(\.name)
        let selected = try layers.paths(in: known, defaults: model.defaultLayerNames, method: method)
        let inBlocks = Set(decoder.layers.flatMap { $0.linears.map(\.name) })
        if let outside = selected.first(where: { !inBlocks.contains($0) }) {
            throw ConfigError("\(method) calibrates the Linear layers inside the decoder blocks; \(outside) is outside them, so leave it out of layers=.")
        }
        let out = try run(decoder, windows: windows, selected: selected, label: method,
                          progress: context.progress, compress: compress, finishBlock: finishBlock)
        return Model(transformer: .decoder(out))
    }
}
