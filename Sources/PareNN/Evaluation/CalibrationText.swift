import Foundation

/// The calibration spec of a transformer, `text:FILE[,samples=N][,context=C]`: N windows of C
/// tokens (defaults 32 × 512, the setting the GPTQ and SparseGPT timings in the README use),
/// the first N·C tokens of FILE cut into consecutive full windows. Consecutive rather than
/// random segments (the reference code samples C4 at random), so a run's calibration set is
/// reproducible from its name alone. Use a different text than `--test`.
public struct CalibrationSpec: Sendable, Equatable {
    public var path: String
    public var samples: Int
    public var context: Int

    public static let defaultSamples = 32
    public static let defaultContext = 512
    static let usage = "text:FILE[,samples=N][,context=C] (N windows, default 32, of C tokens, default 512)"

    public init(path: String, samples: Int = CalibrationSpec.defaultSamples, context: Int = CalibrationSpec.defaultContext) {
        self.path = path
        self.samples = samples
        self.context = context
    }

    /// Parses the spec; the grammar and its errors are `DataSpec`'s (samples=0 is refused there).
    public static func parse(_ spec: String) throws -> CalibrationSpec {
        let parts = try DataSpec.parse(spec, kind: "text", keys: ["samples", "context"], usage: usage)
        return CalibrationSpec(path: parts.path, samples: parts.options["samples"] ?? defaultSamples,
                               context: parts.options["context"] ?? defaultContext)
    }

    /// The file name and every option, defaults included: equal names mean equal windows.
    public var name: String {
        "\(URL(fileURLWithPath: path).lastPathComponent),samples=\(samples),context=\(context)"
    }

    /// Reads and tokenizes the file into exactly `samples` full windows. Throws
    /// `EvaluationDataError.calibrationTooShort` when the text holds fewer tokens than that:
    /// silently calibrating on less than asked would make runs that look alike differ.
    public func load(tokenizer: any Tokenizer, maxContext: Int) throws -> TextWindows {
        try TextSpec(path: path, tokens: samples * context, context: context).check(maxContext: maxContext)
        let text = try TokenizerText.string(fromUTF8: try readDataFile(path), source: path)
        let ids = TextWindows.leadingTokens(of: text, count: samples * context, tokenizer: tokenizer)
        guard ids.count == samples * context else {
            throw EvaluationDataError.calibrationTooShort(file: path, tokens: ids.count, samples: samples, context: context)
        }
        return TextWindows(spec: TextSpec(path: path, tokens: samples * context, context: context), name: name,
                           windows: TextWindows.cut(ids, context: context))
    }
}

extension SentenceSet {
    /// The sentences as an encoder's calibration windows (`--calib sentences:FILE[,rows=N]`):
    /// each tokenized with its special tokens, as the evaluation encodes it, and cut at
    /// `maxLength` tokens. The windows' `spec.context` is the longest sentence.
    public func calibrationWindows(tokenizer: any Tokenizer, maxLength: Int) -> TextWindows {
        let ids = texts.map { tokenizer.encode($0, addSpecialTokens: true, maxLength: maxLength) }
        let longest = ids.map(\.count).max() ?? 0
        return TextWindows(spec: TextSpec(path: spec.path, tokens: ids.reduce(0) { $0 + $1.count }, context: longest),
                           name: name, windows: ids)
    }
}
