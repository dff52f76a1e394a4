import PareNN
import PareTensor

/// Activation statistics a data-aware method (Wanda, SparseGPT, GPTQ, static quantization,
/// SmoothQuant) needs: the input each Linear layer sees when the model runs on calibration data.
public enum Calibration {
    /// The calibration set, or a `ConfigError` if the method was run without `--calib` or with
    /// data of the wrong width.
    public static func require(_ context: CompressionContext, for method: String, model: Model) throws -> Dataset {
        guard let calibration = context.calibration else {
            throw ConfigError("\(method) needs calibration data: pass --calib FILE.csv (a few hundred rows of inputs).")
        }
        guard calibration.featureCount == model.inputWidth else {
            throw ConfigError("calibration data \(calibration.name) has \(calibration.featureCount) features but the model takes \(model.inputWidth).")
        }
        return calibration
    }

    /// The input entering layer `index` only, captured by its path on a forward pass through
    /// the layers up to and including it (the later layers cannot change that input). Run on the
    /// partly compressed model, this is what sequential methods (GPTQ, SparseGPT, Wanda, static
    /// quantization) calibrate layer `index` on.
    public static func input(ofLayer index: Int, _ model: Model, on data: Tensor) -> Tensor {
        let (prefix, path) = upTo(index, model)
        let capture = LinearInputCapture(paths: [path])
        _ = prefix.forward(data, observer: capture.observer)
        return capture.inputs(of: path)!
    }

    /// Like `input(ofLayer:)`, but hands each input batch to `observe` as the pass produces it,
    /// for statistics that stream (a Hessian, column norms) instead of keeping the rows.
    public static func observe(layer index: Int, _ model: Model, on data: Tensor, _ observe: @escaping (Tensor) -> Void) {
        let (prefix, path) = upTo(index, model)
        _ = prefix.forward(data, observer: LinearInputObserver(paths: [path]) { _, input in observe(input) })
    }

    /// The model cut after layer `index`, and that layer's path (which must be its only one there).
    private static func upTo(_ index: Int, _ model: Model) -> (Model, String) {
        precondition(model.layers.indices.contains(index), "layer \(index) of a model with \(model.layers.count) layers")
        var prefix = model
        prefix.layers = Array(model.layers[...index])
        let path = model.layers[index].name
        precondition(prefix.layers.filter { $0.name == path }.count == 1,
                     "two layers are named \(path): rename one so its inputs can be told apart")
        return (prefix, path)
    }
}
