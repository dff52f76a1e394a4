import PareTensor

/// A transformer block run stage by stage, each stage ending at the input of one group of
/// Linear layers that read the same input: the q/k/v projections, the output projection, the
/// MLP's input projections (gate and up; BERT's intermediate) and its down projection (BERT's
/// output). Block-by-block calibration (GPTQ, SparseGPT, Wanda, SmoothQuant, AWQ) compresses a
/// group, then runs the next stage with the compressed weights, so every layer is calibrated on
/// the inputs it will really see. Running the stages in order equals the block's forward (tests
/// check it for a pre-norm decoder block and a post-norm encoder block).
public enum BlockStage: Int, CaseIterable, Sendable {
    case attentionInput, attentionOutput, mlpInput, mlpOutput

    /// Whether the Linear at `path` (an HF path inside a decoder or BERT block) reads this
    /// stage's input.
    public func contains(_ path: String) -> Bool {
        let leaf = path.split(separator: ".").last.map(String.init) ?? path
        // BERT: attention.self.{query,key,value}, attention.output.dense, intermediate.dense, output.dense.
        let bertOutput = path.hasSuffix(".output.dense") && !path.hasSuffix(".attention.output.dense")
        switch self {
        case .attentionInput: return ["q_proj", "k_proj", "v_proj", "query", "key", "value"].contains(leaf)
        case .attentionOutput: return leaf == "o_proj" || path.hasSuffix("attention.output.dense")
        case .mlpInput: return ["gate_proj", "up_proj"].contains(leaf) || path.hasSuffix("intermediate.dense")
        case .mlpOutput: return leaf == "down_proj" || bertOutput
        }
    }
}

/// One window's activations inside a block as the stages produce them.
public struct DecoderBlockState: Sendable {
    /// The block's input [T, hidden] (the residual stream).
    public var input: Tensor
    /// The residual after attention, h = x + attn(norm₁(x)); set by the `mlpInput` stage.
    var afterAttention: Tensor?

    public init(input: Tensor) { self.input = input }
}

extension DecoderLayer {
    /// The input of `stage`'s Linear layers for a window whose block input is `state.input`
    /// (positions 0 … T−1), computed with this block's current weights from the start of the
    /// block: the stages before it advanced again, `state` keeping the residual for the rest.
    public func stageInput(_ stage: BlockStage, _ state: inout DecoderBlockState, rotary: RotaryTable) -> Tensor {
        var x = inputNorm(state.input)
        for earlier in BlockStage.allCases where earlier.rawValue < stage.rawValue {
            x = advance(from: earlier, x, &state, rotary: rotary)
        }
        return x
    }

    /// From `stage`'s input to the next stage's input — after `.mlpOutput`, the block's output —
    /// with this block's current weights: the step the calibration takes once a group is
    /// compressed, so the stages before it are not run again.
    public func advance(from stage: BlockStage, _ input: Tensor, _ state: inout DecoderBlockState,
                        rotary: RotaryTable) -> Tensor {
        switch stage {
        case .attentionInput:
            var none: LayerKVCache? = nil
            return attention.context(input, rotary: rotary, cache: &none, observer: nil)
        case .attentionOutput:
            var h = attention.output(input, observer: nil)
            h.add(state.input)
            state.afterAttention = h
            return postAttentionNorm(h)
        case .mlpInput:
            return mlp.hidden(input)
        case .mlpOutput:
            guard let h = state.afterAttention else { preconditionFailure("advance(from: .mlpOutput) before .attentionOutput") }
            var out = mlp.down(input)
            out.add(h)
            return out
        }
    }

    /// The block's output for a window (positions 0 … T−1).
    public func forward(_ x: Tensor, rotary: RotaryTable, observer: LinearInputObserver? = nil) -> Tensor {
        var none: LayerKVCache? = nil
        return self(x, rotary: rotary, cache: &none, observer: observer)
    }
}

extension FeedForward {
    /// The input of the last Linear (down): act(gate(x))·up(x), or act(up(x)).
    func hidden(_ x: Tensor) -> Tensor {
        switch self {
        case .gated(let m): m.hidden(x, observer: nil)
        case .plain(let m): m.hidden(x, observer: nil)
        }
    }

    func down(_ hidden: Tensor) -> Tensor {
        switch self {
        case .gated(let m): m.down(hidden, observer: nil)
        case .plain(let m): m.down(hidden, observer: nil)
        }
    }
}

extension CausalDecoder {
    /// Block 0's input for a window: its token embeddings [T, hidden].
    public func blockInput(tokens: [Int]) throws -> Tensor { try embedTokens(tokens) }

    /// The rotation table of positions 0 … count−1.
    public func rotaryTable(count: Int) -> RotaryTable { rotary.table(positions: Array(0..<count)) }

    /// The logits [T, vocab] of the final hidden state of the last block.
    public func logits(fromLastBlock x: Tensor) -> Tensor { lmHead(norm(x), observer: nil) }
}

extension Normalization {
    /// Divides output channel j by `divisors[j]` — the weight, and a LayerNorm's bias too — so
    /// a scale that SmoothQuant or AWQ moves into the next Linear's columns costs nothing at
    /// run time (the norm is elementwise after its normalisation, so this is exact).
    public mutating func divideOutput(by divisors: [Float]) {
        switch self {
        case .rms(var n):
            precondition(divisors.count == n.weight.count, "\(divisors.count) divisors for a norm of width \(n.weight.count)")
            for j in n.weight.indices { n.weight[j] /= divisors[j] }
            self = .rms(n)
        case .layer(var n):
            precondition(divisors.count == n.weight.count, "\(divisors.count) divisors for a norm of width \(n.weight.count)")
            for j in n.weight.indices { n.weight[j] /= divisors[j]; n.bias[j] /= divisors[j] }
            self = .layer(n)
        }
    }
}
