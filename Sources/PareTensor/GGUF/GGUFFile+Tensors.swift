/// Reading a GGUF file's tensors: dequantized to Float32, or as their raw block bytes (which a
/// GGUF writer copies unchanged to re-export a tensor bit-exactly).
extension GGUFFile {
    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The named tensor decoded to Float32, shaped in row-major order (`GGUFTensorInfo.shape`).
    public func tensor(named name: String) throws(GGUFError) -> Tensor {
        let info = try lookUp(name)
        guard info.type.canDequantize else {
            throw GGUFError(.unsupportedTensorType, "\(source): tensor '\(name)' is \(info.type.name), a ggml type Pare cannot decode yet.")
        }
        let count = info.elementCount
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            GGMLDequantize.run(info.type, rawBytes(of: info), into: buffer)
            initialized = count
        }
        return Tensor(shape: info.shape, data: data)
    }

    /// A copy of the named tensor's block bytes, exactly as stored.
    public func rawBytes(named name: String) throws(GGUFError) -> [UInt8] {
        [UInt8](rawBytes(of: try lookUp(name)))
    }

    /// Calls `body` with the named tensor's block bytes in the mapped file (no copy); the
    /// pointer is valid only inside `body`.
    public func withRawBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try lookUp(name)
        return try withExtendedLifetime(storage) { try body(rawBytes(of: info)) }
    }

    /// The bytes of a tensor of this file (its bounds were checked when the file was opened).
    func rawBytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + info.offset
        return UnsafeRawBufferPointer(rebasing: storage.bytes[start ..< start + info.byteCount])
    }

    func lookUp(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let index = tensorIndex[name] else {
            let names = tensors.prefix(5).map { "'\($0.name)'" }.joined(separator: ", ")
            let present = tensors.isEmpty ? "it holds no tensors" : "it holds \(tensors.count) tensors (\(names)\(tensors.count > 5 ? ", …" : ""))"
            throw GGUFError(.noSuchTensor, "\(source) has no tensor named '\(name)'; \(present).")
        }
        return tensors[index]
    }
}
