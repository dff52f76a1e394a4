import PareTensor

/// A pack of sentences inside a post-norm encoder block as the stages produce them: the rows
/// hold several sentences, each attending only to itself.
public struct EncoderBlockState: Sendable {
    /// The block's input [rows, hidden] (the previous block's normalised output).
    public var input: Tensor
    /// The sentences' row ranges.
    public let segments: [Range<Int>]
    /// h = norm₁(x + attn(x)); set by the `attentionOutput` stage, the MLP's residual.
    var afterAttention: Tensor?

    public init(input: Tensor, segments: [Range<Int>]) {
        self.input = input
        self.segments = segments
    }
}

extension EncoderLayer {
    /// The input of `stage`'s Linear layers for the pack in `state`, computed with this block's
    /// current weights from the start of the block (post-norm: q/k/v read the block input).
    public func stageInput(_ stage: BlockStage, _ state: inout EncoderBlockState) -> Tensor {
        var x = state.input
        for earlier in BlockStage.allCases where earlier.rawValue < stage.rawValue {
            x = advance(from: earlier, x, &state)
        }
        return x
    }

    /// From `stage`'s input to the next stage's input — after `.mlpOutput`, the block's output.
    public func advance(from stage: BlockStage, _ input: Tensor, _ state: inout EncoderBlockState) -> Tensor {
        switch stage {
        case .attentionInput:
            var none: LayerKVCache? = nil
            return attention.context(input, rotary: nil, segments: state.segments, cache: &none, observer: nil)
        case .attentionOutput:
            var a = attention.output(input, observer: nil)
            a.add(state.input)
            let h = attentionNorm(a)
            state.afterAttention = h
            return h
        case .mlpInput:
            return mlp.hidden(input, observer: nil)
        case .mlpOutput:
            guard let h = state.afterAttention else { preconditionFailure("advance(from: .mlpOutput) before .attentionOutput") }
            var out = mlp.down(input, observer: nil)
            out.add(h)
            return outputNorm(out)
        }
    }

    /// The block's output for a pack of sentences.
    public func forward(_ x: Tensor, segments: [Range<Int>]) -> Tensor {
        self(x, segments: segments, observer: nil)
    }
}
