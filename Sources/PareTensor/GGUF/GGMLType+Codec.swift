/// Array-level encode and decode of any supported ggml type, for callers that hold whole
/// rows (a GGUF exporter, the tests). The block formats themselves are in `GGMLBlocks`.
extension GGMLType {
    /// Decodes whole blocks of this type to Float32.
    public func dequantize(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> [Float] {
        guard let format = GGMLBlocks.format(of: self) else {
            throw GGUFError(.unsupportedTensorType, "Pare cannot decode ggml type \(name) yet.")
        }
        guard bytes.count % typeSize == 0 else {
            throw GGUFError(.invalidArgument, "\(bytes.count) bytes are not a whole number of \(typeSize)-byte \(name) blocks.")
        }
        let blocks = bytes.count / typeSize
        return [Float](unsafeUninitializedCapacity: blocks * blockSize) { buffer, initialized in
            if blocks > 0, let source = bytes.baseAddress, let out = buffer.baseAddress {
                format.dequantize(source, blocks: blocks, into: out)
            }
            initialized = blocks * blockSize
        }
    }

    public func dequantize(_ bytes: [UInt8]) throws(GGUFError) -> [Float] {
        // withUnsafeBytes only rethrows untyped errors, so the typed error travels in a Result.
        try bytes.withUnsafeBytes { raw in Result { () throws(GGUFError) in try dequantize(raw) } }.get()
    }

    /// Encodes `values` (a whole number of blocks, laid out as rows of the tensor) as ggml's
    /// reference quantizer for this type does.
    public func quantize(_ values: [Float]) throws(GGUFError) -> [UInt8] {
        guard let quantizer = GGMLBlocks.quantizer(of: self) else {
            throw GGUFError(.unsupportedTensorType, "Pare cannot encode ggml type \(name) yet; it encodes F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K and Q6_K.")
        }
        guard values.count % blockSize == 0 else {
            throw GGUFError(.invalidArgument, "\(values.count) values are not a whole number of \(blockSize)-value \(name) blocks.")
        }
        let blocks = values.count / blockSize
        return [UInt8](unsafeUninitializedCapacity: blocks * typeSize) { buffer, initialized in
            values.withUnsafeBufferPointer { source in
                if blocks > 0, let input = source.baseAddress, let out = buffer.baseAddress {
                    quantizer.quantize(input, blocks: blocks, into: UnsafeMutableRawPointer(out))
                }
            }
            initialized = blocks * typeSize
        }
    }
}
