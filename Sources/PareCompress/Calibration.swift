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

    /// inputs[i] = the activations entering layer i ([rows, layer.inFeatures]) on `data`,
    /// as the model currently computes them.
    public static func layerInputs(_ model: Model, on data: Tensor) -> [Tensor] {
        var inputs: [Tensor] = []
        var h = data
        for (index, layer) in model.layers.enumerated() {
            inputs.append(h)
            h = layer.forward(h)
            if index < model.layers.count - 1 { model.activation.apply(&h) }
        }
        return inputs
    }

    /// The input entering layer `index` only.
    public static func input(ofLayer index: Int, _ model: Model, on data: Tensor) -> Tensor {
        var h = data
        for i in 0..<index {
            h = model.layers[i].forward(h)
            model.activation.apply(&h)
        }
        return h
    }
}
