import PareNN
import PareTensor

/// torch.ao's MovingAverageMinMaxObserver: the first batch sets [min, max]; each later batch moves
/// them by `averagingConstant` towards its own min and max: m ← m + c·(batch_m − m).
struct MovingAverageRange: Sendable, Equatable {
    let averagingConstant: Float
    private(set) var range: (min: Float, max: Float)?

    init(averagingConstant: Float) { self.averagingConstant = averagingConstant }

    mutating func observe(_ values: [Float]) {
        guard let lo = values.min(), let hi = values.max() else { return }
        guard let r = range else { range = (lo, hi); return }
        range = (r.min + averagingConstant * (lo - r.min), r.max + averagingConstant * (hi - r.max))
    }

    static func == (a: Self, b: Self) -> Bool {
        a.averagingConstant == b.averagingConstant && a.range?.min == b.range?.min && a.range?.max == b.range?.max
    }
}

/// The fake quantization of quantization-aware training, and its conversion to integers.
/// Selected layers see per-channel symmetric `weightBits` weights (refitted to the latent weights
/// at every step, as a per-channel MinMaxObserver does) and per-tensor affine uint8 inputs whose
/// range a moving average tracks. Gradients pass straight through where the value was inside
/// the clamp range (`fakeQuantize`'s STE mask), zero where it was clamped.
/// A class: the training hooks' closures update the observers in place.
final class FakeQuantizer {
    let weightFormat: QuantFormat
    let activationFormat = QuantFormat.uint8Affine
    /// Layers that are fake-quantized (and converted).
    let layers: Set<Int>
    private(set) var observers: [Int: MovingAverageRange]

    init(weightBits: Int, layers: [Int], averagingConstant: Float) {
        weightFormat = QuantFormat(bits: weightBits, scheme: .symmetric)
        self.layers = Set(layers)
        observers = Dictionary(uniqueKeysWithValues: layers.map { ($0, MovingAverageRange(averagingConstant: averagingConstant)) })
    }

    func weightParams(_ weight: Tensor) -> QuantParams {
        try! QuantParams.fit(weight, format: weightFormat, granularity: .channel)
    }

    /// (fake-quantized weight, STE mask), or the weight itself for a layer not selected.
    func weight(_ layer: Int, _ w: Tensor) -> (Tensor, Tensor?) {
        guard layers.contains(layer) else { return (w, nil) }
        let (values, mask) = fakeQuantize(w, weightParams(w))
        return (values, mask)
    }

    /// The activation qparams of `layer`'s input from its observed range.
    func activationParams(_ layer: Int) -> QuantParams? {
        guard let range = observers[layer]?.range else { return nil }
        let p = activationFormat.params(min: range.min, max: range.max)
        return QuantParams(format: activationFormat, granularity: .tensor, rows: 1, columns: 1,
                           scales: [p.scale], zeroPoints: [p.zeroPoint])
    }

    /// (fake-quantized input, STE mask) of `layer`; with `observe`, the observer sees `x` first
    /// (as torch's FakeQuantize in training mode), else the ranges stay frozen.
    func activation(_ layer: Int, _ x: Tensor, observe: Bool) -> (Tensor, Tensor?) {
        guard layers.contains(layer) else { return (x, nil) }
        if observe { observers[layer]!.observe(x.data) }
        guard let params = activationParams(layer) else { return (x, nil) }
        let (values, mask) = fakeQuantize(x, params)
        return (values, mask)
    }

    /// Hooks that fake-quantize during training (observers updating).
    func hooks(onEpoch: ((Int, EpochStats) -> Void)? = nil) -> TrainingHooks {
        TrainingHooks(weightTransform: { [self] i, w in weight(i, w) },
                      activationTransform: { [self] i, x in activation(i, x, observe: true) },
                      onEpoch: onEpoch)
    }

    /// Logits of the fake-quantized `net` on x, in Float; with `observe`, the observers track x.
    func forward(_ net: TrainableMLP, _ x: Tensor, observe: Bool = false) -> Tensor {
        var h = x
        for i in 0..<net.layerCount {
            h = activation(i, h, observe: observe).0
            let layer = LinearLayer(name: net.names[i], weight: DenseWeight(weight(i, net.weights[i]).0), bias: net.biases[i])
            h = layer.forward(h)
            if i < net.layerCount - 1 { net.activation.apply(&h) }
        }
        return h
    }

    /// The integer model: each selected layer as `StaticInt8Linear` (the encoding `quant-static`
    /// writes) with its per-channel weight codes (−2^(b−1)…2^(b−1)−1, held in Int8, stored packed
    /// at b bits) and the observed input qparams; other layers dense. Computes what `forward`
    /// computes, in integers.
    func convert(_ net: TrainableMLP) -> Model {
        var model = net.model()
        for i in layers.sorted() {
            let w = net.weights[i]
            let wp = weightParams(w)
            let matrix = Int8ChannelMatrix(rows: w.rows, columns: w.columns, codes: wp.quantize(w).map { Int8($0) },
                                           scales: wp.scales, bits: wp.format.bits)
            let ap = activationParams(i)!
            let q = StaticInt8Linear(weight: matrix, inputFormat: activationFormat,
                                     inputScale: ap.scales[0], inputZeroPoint: ap.zeroPoints[0])
            model = model.replacingWeight(at: i, with: q)
        }
        return model
    }
}
