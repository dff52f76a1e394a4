import PareNN
import PareTensor

/// Sequential, block-by-block calibration of a transformer (a decoder LM or a BERT encoder), as
/// the SparseGPT, GPTQ and Wanda reference code runs it: the calibration windows' embeddings
/// enter block 0; in each block, every group of Linear layers that read one input (q/k/v; o;
/// gate/up; down) is handed that input over all windows and compressed; then the *compressed*
/// block produces the next block's inputs. Within a block the groups go in forward order and
/// each sees the outputs of the groups already compressed (GPTQ's `true_sequential`; the
/// SparseGPT and Wanda scripts collect a whole block's inputs before pruning it — Pare gives
/// every layer the inputs it will really see at run time). Memory: the windows' activations at
/// one point of one block (N × C × width), never the model's depth.
public enum BlockwiseCalibration {
    /// One group of a block's Linear layers that read the same input, with that input over
    /// every calibration window ([T, in] each).
    public struct Group {
        public let block: Int
        public let stage: BlockStage
        /// The group's selected layers, in forward order (a subset when `layers=` says so).
        public let paths: [String]
        public let inputs: [Tensor]
        public var width: Int { inputs[0].columns }
        public var rows: Int { inputs.reduce(0) { $0 + $1.rows } }
    }

    /// Whether compressing a group changed what feeds it (a scale folded into the norm or the
    /// Linear before it), so its input must be recomputed before the block goes on.
    public enum Effect { case weightsOnly, inputChanged }

    /// Runs the calibration over `stack` on `windows`, calling `compress` once per group that
    /// holds a layer of `selected`, and returns the compressed model. `compress` replaces the
    /// group's layers in the model it is given (and may fold scales upstream, saying so).
    /// `finishBlock`, when given, runs after a block's last group and before the block produces
    /// the next block's inputs (AWQ scales the whole block in fp32, then quantizes it there).
    public static func run<Stack: CalibrationStack>(_ stack: Stack, windows: TextWindows, selected: [String], label: String,
                                                    progress: (Double, String) -> Void,
                                                    compress: (Group, inout Stack) throws -> Effect,
                                                    finishBlock: ((Int, inout Stack) throws -> Void)? = nil) throws -> Stack {
        var model = stack
        let chosen = Set(selected)
        var states = try model.firstBlockStates(windows)
        let blocks = model.blockCount
        for b in 0..<blocks {
            let paths = model.linearPaths(inBlock: b)
            var current = states.indices.map { model.stageInput(.attentionInput, block: b, &states[$0]) }
            for stage in BlockStage.allCases {
                let group = paths.filter { stage.contains($0) && chosen.contains($0) }
                if !group.isEmpty {
                    let effect = try compress(Group(block: b, stage: stage, paths: group, inputs: current), &model)
                    if effect == .inputChanged {
                        current = states.indices.map { model.stageInput(stage, block: b, &states[$0]) }
                    }
                }
                if stage == .mlpOutput, let finishBlock { try finishBlock(b, &model) }
                current = states.indices.map { model.advance(from: stage, block: b, current[$0], &states[$0]) }
                progress((Double(b) + Double(stage.rawValue + 1) / 4) / Double(blocks), "\(label) block \(b + 1)/\(blocks)")
            }
            states = states.indices.map { model.nextBlockState(states[$0], input: current[$0]) }
        }
        return model
    }

    /// The calibration windows of a transformer run, or a `ConfigError` naming the flag.
    public static func requireWindows(_ context: CompressionContext, for method: String, encoder: Bool = false) throws -> TextWindows {
        guard let windows = context.calibrationText else {
            throw ConfigError(encoder
                ? "\(method) needs calibration sentences on an encoder: pass --calib sentences:FILE[,rows=N] (other sentences than --test)."
                : "\(method) needs calibration text on a transformer: pass --calib text:FILE[,samples=N][,context=C] (another text than --test).")
        }
        return windows
    }

    /// The checks a calibrated method makes before anything is recorded: on a transformer,
    /// calibration windows; on an MLP nothing (its `--calib` is checked as it loads).
    public static func check(_ model: Model, context: CompressionContext, method: String) throws {
        guard let transformer = model.transformer else { return }
        if case .encoder = transformer { _ = try requireWindows(context, for: method, encoder: true); return }
        _ = try requireWindows(context, for: method)
    }

    /// The decoder of a transformer model, or a `ConfigError` for an encoder.
    public static func requireDecoder(_ model: Model, for method: String) throws -> CausalDecoder {
        guard case .decoder(let decoder)? = model.transformer else {
            throw ConfigError("\(method) calibrates block by block on decoder LMs; it does not run on encoders yet.")
        }
        return decoder
    }

    /// Why the methods that fold scales into a norm (SmoothQuant, AWQ) refuse an encoder.
    public static func refuseEncoderFolding(_ model: Model, for method: String) throws {
        guard case .encoder? = model.transformer else { return }
        throw ConfigError("\(method) folds its scales into the norm before a Linear, but BERT's norms follow the residual sum (post-norm), so nothing can absorb them on an encoder; use quant-static, quant-gptq or quant-dynamic there.")
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
    /// A method's block-by-block pass over a decoder LM `model`: its `layers=` selection (the
    /// blocks' Linear layers by default), the calibration windows, the driver, and the result
    /// wrapped back into a `Model`.
    public static func compress(_ model: Model, layers: LayerSelection, context: CompressionContext, method: String,
                                compress: (Group, inout CausalDecoder) throws -> Effect,
                                finishBlock: ((Int, inout CausalDecoder) throws -> Void)? = nil) throws -> Model {
        let decoder = try requireDecoder(model, for: method)
        let windows = try requireWindows(context, for: method)
        let selected = try selectedPaths(model, layers: layers, blocks: decoder, method: method)
        let out = try run(decoder, windows: windows, selected: selected, label: method,
                          progress: context.progress, compress: compress, finishBlock: finishBlock)
        return Model(transformer: .decoder(out))
    }

    /// A pass of a method that only replaces each group's layers, on a decoder LM or an encoder:
    /// `replace` gets a group and its current layers in forward order and returns their
    /// replacements (same shapes), computed from the group's one set of inputs.
    public static func replacingLayers(_ model: Model, layers: LayerSelection, context: CompressionContext, method: String,
                                       replace: (Group, [Linear]) throws -> [Linear]) throws -> Model {
        func pass<Stack: CalibrationStack>(_ stack: Stack, windows: TextWindows) throws -> Stack {
            let selected = try selectedPaths(model, layers: layers, blocks: stack, method: method)
            return try run(stack, windows: windows, selected: selected, label: method, progress: context.progress) { group, current in
                let replacements = try replace(group, group.paths.map { current.linear(at: $0)! })
                for (path, layer) in zip(group.paths, replacements) { try current.setLinear(layer, at: path) }
                return .weightsOnly
            }
        }
        switch model.transformer {
        case .decoder(let decoder)?:
            return Model(transformer: .decoder(try pass(decoder, windows: try requireWindows(context, for: method))))
        case .encoder(let encoder)?:
            return Model(transformer: .encoder(try pass(encoder, windows: try requireWindows(context, for: method, encoder: true))))
        case nil:
            preconditionFailure("block-by-block calibration of an MLP")
        }
    }

    /// The `layers=` selection of a calibrated method, which must lie inside the blocks.
    static func selectedPaths<Stack: CalibrationStack>(_ model: Model, layers: LayerSelection, blocks: Stack, method: String) throws -> [String] {
        let selected = try layers.paths(in: model.layers.map(\.name), defaults: model.defaultLayerNames, method: method)
        let inBlocks = Set((0..<blocks.blockCount).flatMap { blocks.linearPaths(inBlock: $0) })
        if let outside = selected.first(where: { !inBlocks.contains($0) }) {
            throw ConfigError("\(method) calibrates the Linear layers inside the transformer blocks; \(outside) is outside them, so leave it out of layers=.")
        }
        return selected
    }
}
