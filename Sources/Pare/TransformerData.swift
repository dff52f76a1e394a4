import Foundation
import PareCompress
import PareNN

/// The data of a transformer run: `--test text:FILE[,tokens=N][,context=C]` for a decoder LM,
/// `--test sentences:FILE[,rows=N]` (and optionally a labelled `--train sentences:…` for the
/// probe) for an encoder; `--calib text:` for a decoder, `--calib sentences:` for an encoder.
/// Checked against the model before anything is recorded.
extension RunData {
    static func isTextSpec(_ spec: String) -> Bool { spec.hasPrefix("text:") }
    static func isSentenceSpec(_ spec: String) -> Bool { spec.hasPrefix("sentences:") }

    /// Refuses `text:`/`sentences:` data for an MLP, which reads tables.
    static func refuseTransformerSpecs(_ specs: [(role: String, spec: String?)]) throws {
        for (role, spec) in specs {
            guard let spec, isTextSpec(spec) || isSentenceSpec(spec) else { continue }
            throw PareError("\(role) '\(spec)' is text for a transformer, but the model is an MLP; give it a CSV or idx: table.")
        }
    }

    static func load(train: String?, test: String?, calibration: String?, for model: TransformerModel,
                     tokenizer: (any Tokenizer)?) throws -> RunData {
        switch model {
        case .decoder(let decoder):
            guard let test, isTextSpec(test) || PromptSet.isSpec(test) else {
                throw PareError("a decoder LM is evaluated on text: pass --test text:FILE[,tokens=N][,context=C] (defaults tokens=\(TextSpec.defaultTokens), context=\(TextSpec.defaultContext)), or on prompts: --test prompts:FILE (JSON lines).")
            }
            if let train, !isTextSpec(train), !PromptSet.isSpec(train) {
                throw PareError("a decoder LM trains on text: pass --train text:FILE[,tokens=N][,context=C] (for finetune) or --train prompts:FILE (JSON lines, for black-box distillation).")
            }
            guard let tokenizer else { throw PareError("the model has no tokenizer (tokenizer.json), so its test text cannot be tokenized.") }
            var data: RunData
            if PromptSet.isSpec(test) {
                data = RunData(train: nil, test: .prompts(try PromptSet.load(spec: test)), calibration: nil)
            } else {
                let spec = try TextSpec.parse(test)
                try spec.check(maxContext: decoder.spec.maxPositions)
                data = RunData(train: nil, test: .text(try TextWindows.load(spec: spec, tokenizer: tokenizer)), calibration: nil)
            }
            if let train, PromptSet.isSpec(train) {
                data.trainPrompts = try PromptSet.load(spec: train)
            } else if let train {
                let trainSpec = try TextSpec.parse(train)
                try trainSpec.check(maxContext: decoder.spec.maxPositions)
                data.trainText = try TextWindows.load(spec: trainSpec, tokenizer: tokenizer)
            }
            if let calibration {
                guard isTextSpec(calibration) else {
                    throw PareError("a decoder LM calibrates on text: pass --calib text:FILE[,samples=N][,context=C] (defaults samples=\(CalibrationSpec.defaultSamples), context=\(CalibrationSpec.defaultContext)).")
                }
                data.calibrationText = try CalibrationSpec.parse(calibration).load(tokenizer: tokenizer, maxContext: decoder.spec.maxPositions)
            }
            return data
        case .encoder(let encoder):
            guard let test, isSentenceSpec(test) else {
                throw PareError("an encoder is evaluated on sentences: pass --test sentences:FILE (a TSV or CSV with a text column and an optional label column).")
            }
            let testSet = try SentenceSet.load(spec: try SentenceSpec.parse(test))
            var trainSet: SentenceSet?
            if let train {
                guard isSentenceSpec(train) else {
                    throw PareError("an encoder's --train is labelled sentences for its probe: pass --train sentences:FILE.")
                }
                trainSet = try SentenceSet.load(spec: try SentenceSpec.parse(train))
                guard trainSet!.labels != nil else {
                    throw PareError("--train \(train) has no label column; the probe learns from labels, so add one or leave --train out.")
                }
                guard testSet.labels != nil else {
                    throw PareError("--test \(test) has no label column, so the probe trained on --train cannot be scored; add labels or leave --train out.")
                }
                if let trainNames = trainSet!.classNames, let testNames = testSet.classNames, trainNames != testNames {
                    throw PareError("--train and --test name different classes (\(trainNames.joined(separator: ", ")) vs \(testNames.joined(separator: ", "))); the probe needs the same labels in both.")
                }
            }
            var data = RunData(train: nil, test: .sentences(testSet), calibration: nil)
            data.trainSentences = trainSet
            if let calibration {
                guard isSentenceSpec(calibration) else {
                    throw PareError("an encoder calibrates on sentences: pass --calib sentences:FILE[,rows=N] (a CSV or TSV with a text column; other sentences than --test).")
                }
                guard let tokenizer else { throw PareError("the model has no tokenizer (tokenizer.json), so its calibration sentences cannot be tokenized.") }
                data.calibrationText = try SentenceSet.load(spec: try SentenceSpec.parse(calibration))
                    .calibrationWindows(tokenizer: tokenizer, maxLength: encoder.config.maxPositionEmbeddings)
            }
            return data
        }
    }
}
