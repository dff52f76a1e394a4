import PareTensor

extension GGUFTokenizerMetadata {
    /// The `tokenizer.ggml.*` entries of a GGUF file. The model, the token list and (for BPE)
    /// the merges must be there; every other entry is optional, as in llama.cpp.
    public init(file: GGUFFile) throws(TokenizerError) {
        let source = file.source
        func required<T>(_ key: String, _ value: T?) throws(TokenizerError) -> T {
            guard let value else { throw .missingField(source: source, field: key) }
            return value
        }
        let model = try required("tokenizer.ggml.model", file.string("tokenizer.ggml.model"))
        let tokens = try required("tokenizer.ggml.tokens", file.stringArray("tokenizer.ggml.tokens"))
        let merges = file.metadata["tokenizer.ggml.merges"] == nil && model != "gpt2"
            ? [] : try required("tokenizer.ggml.merges", file.stringArray("tokenizer.ggml.merges"))
        self.init(model: model, pre: file.string("tokenizer.ggml.pre"), tokens: tokens, merges: merges,
                  tokenTypes: file.intArray("tokenizer.ggml.token_type"),
                  bosID: file.int("tokenizer.ggml.bos_token_id"), eosID: file.int("tokenizer.ggml.eos_token_id"),
                  padID: file.int("tokenizer.ggml.padding_token_id"), unknownID: file.int("tokenizer.ggml.unknown_token_id"),
                  addBOS: file.bool("tokenizer.ggml.add_bos_token"), addEOS: file.bool("tokenizer.ggml.add_eos_token"))
    }
}
