import PareNN
import PareTensor

/// A transformer whose blocks `BlockwiseCalibration` can run stage by stage: a decoder LM
/// (windows of text, rotary positions) or a BERT encoder (sentences packed into row blocks).
public protocol CalibrationStack: LinearContainer {
    /// One calibration window's activations inside a block.
    associatedtype BlockState
    var blockCount: Int { get }
    /// The Linear paths of block `b`, in forward order.
    func linearPaths(inBlock b: Int) -> [String]
    /// Block 0's states for the calibration windows.
    func firstBlockStates(_ windows: TextWindows) throws -> [BlockState]
    /// The input of `stage`'s Linear layers, from the start of block `b` with its current weights.
    func stageInput(_ stage: BlockStage, block b: Int, _ state: inout BlockState) -> Tensor
    /// From `stage`'s input to the next stage's input (after `.mlpOutput`, the block's output).
    func advance(from stage: BlockStage, block b: Int, _ input: Tensor, _ state: inout BlockState) -> Tensor
    /// The state entering the next block, whose input is `input` (the output of this one).
    func nextBlockState(_ state: BlockState, input: Tensor) -> BlockState
}

/// A decoder window inside a block: its activations and its positions' rotation.
public struct DecoderCalibrationState {
    var block: DecoderBlockState
    let rotary: RotaryTable
}

extension CausalDecoder: CalibrationStack {
    public var blockCount: Int { layers.count }
    public func linearPaths(inBlock b: Int) -> [String] { layers[b].linears.map(\.name) }

    public func firstBlockStates(_ windows: TextWindows) throws -> [DecoderCalibrationState] {
        var tables: [Int: RotaryTable] = [:]
        return try windows.windows.map { w in
            if tables[w.count] == nil { tables[w.count] = rotaryTable(count: w.count) }
            return DecoderCalibrationState(block: DecoderBlockState(input: try blockInput(tokens: w)), rotary: tables[w.count]!)
        }
    }

    public func stageInput(_ stage: BlockStage, block b: Int, _ state: inout DecoderCalibrationState) -> Tensor {
        layers[b].stageInput(stage, &state.block, rotary: state.rotary)
    }

    public func advance(from stage: BlockStage, block b: Int, _ input: Tensor, _ state: inout DecoderCalibrationState) -> Tensor {
        layers[b].advance(from: stage, input, &state.block, rotary: state.rotary)
    }

    public func nextBlockState(_ state: DecoderCalibrationState, input: Tensor) -> DecoderCalibrationState {
        DecoderCalibrationState(block: DecoderBlockState(input: input), rotary: state.rotary)
    }
}

extension BertModel: CalibrationStack {
    /// Sentences are packed into blocks of at most this many rows (each attends only to
    /// itself), so a GEMM sees hundreds of rows rather than one sentence's dozen.
    static let calibrationPackRows = 512

    public var blockCount: Int { layers.count }
    public func linearPaths(inBlock b: Int) -> [String] { layers[b].linears.map(\.name) }

    /// The calibration sentences (token ids with their special tokens) in packs of at most
    /// `calibrationPackRows` rows, in order.
    public static func calibrationPacks(_ windows: TextWindows) -> [[[Int]]] {
        var packs: [[[Int]]] = [], rows = 0
        for sentence in windows.windows {
            if packs.isEmpty || rows + sentence.count > calibrationPackRows { packs.append([]); rows = 0 }
            packs[packs.count - 1].append(sentence)
            rows += sentence.count
        }
        return packs
    }

    public func firstBlockStates(_ windows: TextWindows) throws -> [EncoderBlockState] {
        try Self.calibrationPacks(windows).map { pack in
            let (input, segments) = try blockInput(batch: pack)
            return EncoderBlockState(input: input, segments: segments)
        }
    }

    public func stageInput(_ stage: BlockStage, block b: Int, _ state: inout EncoderBlockState) -> Tensor {
        layers[b].stageInput(stage, &state)
    }

    public func advance(from stage: BlockStage, block b: Int, _ input: Tensor, _ state: inout EncoderBlockState) -> Tensor {
        layers[b].advance(from: stage, input, &state)
    }

    public func nextBlockState(_ state: EncoderBlockState, input: Tensor) -> EncoderBlockState {
        EncoderBlockState(input: input, segments: state.segments)
    }
}
