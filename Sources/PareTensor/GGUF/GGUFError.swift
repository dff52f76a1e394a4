import Foundation

/// A GGUF file problem, told in one sentence that names the file. `kind` lets code (and tests)
/// tell the cases apart without matching on the wording.
public struct GGUFError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or mapped (missing, a directory, permissions).
        case io
        /// The first four bytes are not "GGUF".
        case notGGUF
        /// A GGUF version other than 2 or 3 (or a big-endian file).
        case unsupportedVersion
        /// The file ends inside the header, the metadata or the tensor infos.
        case truncated
        /// A count (tensors, metadata keys, array elements) larger than the file could hold.
        case absurdCount
        /// A string (key, value or tensor name) that is not valid UTF-8.
        case invalidUTF8
        /// A metadata value type id GGUF does not define, or arrays nested too deep.
        case invalidValueType
        /// The same metadata key or tensor name twice.
        case duplicateName
        /// `general.alignment` that is not a positive power of two.
        case invalidAlignment
        /// A ggml tensor type id ggml does not define.
        case unknownTensorType
        /// A tensor whose dimensions are invalid (too many, overflowing, not whole blocks).
        case invalidTensorShape
        /// A tensor whose data lies (partly) outside the file.
        case tensorOutOfBounds
        /// A ggml type Pare knows but cannot decode or encode (the i-quants, ternary, FP4 formats).
        case unsupportedTensorType
        /// No tensor of that name in the file.
        case noSuchTensor
        /// A metadata key that is absent, or holds a value of another type.
        case missingMetadata
        /// Values handed to an encoder that do not fill whole blocks.
        case invalidArgument
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public var errorDescription: String? { description }
}
