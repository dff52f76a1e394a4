import PareTensor

extension LinearLayer {
    /// The input this layer really multiplies, for the gradient pass: a dynamic W8A8 layer
    /// (`int8-dynamic`, `int8-dynamic-group`) quantizes each input row — each token — to 8 bits
    /// from the row's own min/max at run time, so its product is x̂·Ŵᵀ with x̂ the dequantized row;
    /// every other encoding multiplies x itself. The row's range always covers the row, so no
    /// value is clamped and the straight-through gradient of x̂ with respect to x is the identity
    /// (the rounding passes straight through; the range gets no gradient).
    func multipliedInput(_ x: Tensor) -> Tensor {
        let format: QuantFormat
        if let w = weight as? DynamicInt8Linear { format = w.inputFormat }
        else if let w = weight as? GroupwiseDynamicInt8Linear { format = w.inputFormat }
        else { return x }
        return perTokenFakeQuantized(x, format: format)
    }
}

/// Each row of x quantized with its own (min(0, min), max(0, max)) range and dequantized: the
/// values a dynamic W8A8 forward multiplies (the rule of `quantizePerToken` and `QuantFormat`).
public func perTokenFakeQuantized(_ x: Tensor, format: QuantFormat) -> Tensor {
    var out = x
    let k = x.columns
    for r in 0..<x.rows {
        var lo: Float = 0, hi: Float = 0
        for j in 0..<k { let v = x.data[r * k + j]; lo = min(lo, v); hi = max(hi, v) }
        let (scale, zp) = format.params(min: lo, max: hi)
        for j in 0..<k {
            out.data[r * k + j] = format.dequantize(format.quantize(x.data[r * k + j], scale: scale, zeroPoint: zp), scale: scale, zeroPoint: zp)
        }
    }
    return out
}
