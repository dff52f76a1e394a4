import PareTensor

/// What can go wrong building or running a transformer from a user's files or inputs, each told
/// in one sentence that names the model source and the tensor or value at fault.
public enum TransformerError: Error, CustomStringConvertible, Equatable, Sendable {
    case missingTensor(name: String, source: String)
    case wrongShape(name: String, expected: [Int], found: [Int], source: String)
    case badConfig(source: String, reason: String)
    case unknownModelType(String, known: [String])
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    case sequenceTooLong(length: Int, maximum: Int)
    case emptyInput(String)
    case unknownLinear(path: String)
    case replacementShape(path: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .missingTensor(name, source):
            "\(source) has no tensor '\(name)', which this architecture needs; check that the file is the model its config.json describes."
        case let .wrongShape(name, expected, found, source):
            "Tensor '\(name)' in \(source) has shape \(found), but the config asks for \(expected); the weights and config.json do not match."
        case let .badConfig(source, reason):
            "The model config \(source) is not usable: \(reason)."
        case let .unknownModelType(type, known):
            "model_type '\(type)' is not a known architecture (known: \(known.joined(separator: ", ")))."
        case let .tokenOutOfRange(token, vocabularySize):
            "Token id \(token) is outside the vocabulary of \(vocabularySize) ids; tokenize with this model's own tokenizer."
        case let .sequenceTooLong(length, maximum):
            "The sequence of \(length) tokens is longer than the model's \(maximum) positions; split it into shorter windows."
        case let .emptyInput(what):
            "No tokens were given for \(what); pass at least one token id."
        case let .unknownLinear(path):
            "The model has no Linear layer at '\(path)'; list the paths with `linearPaths`."
        case let .replacementShape(path, expected, found):
            "The replacement for '\(path)' maps \(found[1]) to \(found[0]) features, but the layer maps \(expected[1]) to \(expected[0]); keep the layer's shape."
        }
    }
}
