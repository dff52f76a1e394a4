import Foundation
import PareNN
import PareTensor
import PareTestSupport
import Testing
@testable import PareCompress

/// The response-only next-token loss of black-box distillation, and how answers are matched.
@Suite struct ResponseLossTests {
    @Test func weightsMaskThePromptAndWeighEachPartAsAWhole() {
        #expect(ResponseLoss.weights(promptCount: 3, parts: [(2, 1)]) == [0, 0, 0.5, 0.5])
        #expect(ResponseLoss.weights(promptCount: 1, parts: [(2, 0.5), (1, 1)]) == [0.25, 0.25, 1])
        #expect(ResponseLoss.weights(promptCount: 2, parts: [(0, 3), (1, 1)]) == [0, 1])
    }

    /// With a one-token prompt the masked loss is the whole window's mean next-token loss
    /// (`referenceNextTokenLoss`); with a longer prompt it is the hand-computed mean over the
    /// response positions only, and the gradient is zero on the prompt's rows.
    @Test func theLossIsTheNextTokenLossOfTheResponseTokensOnly() throws {
        let decoder = try TransformerStructuredPruningTests.decoder()
        let tokens = [5, 17, 99, 3, 250, 41, 7, 300]
        let logits = try decoder.logits(tokens: tokens)
        let whole = ResponseLoss.evaluate(logits: logits, tokens: tokens, weights: ResponseLoss.weights(promptCount: 1, parts: [(7, 1)]))
        #expect(abs(whole.loss - (try decoder.referenceNextTokenLoss(tokens))) < 1e-4)

        let masked = ResponseLoss.evaluate(logits: logits, tokens: tokens, weights: ResponseLoss.weights(promptCount: 5, parts: [(3, 1)]))
        let v = logits.columns
        var expected = 0.0
        for t in 4..<7 {
            let row = (0..<v).map { Double(logits.data[t * v + $0]) }
            let peak = row.max()!
            expected += log(row.reduce(0) { $0 + exp($1 - peak) }) + peak - row[tokens[t + 1]]
        }
        #expect(abs(masked.loss - expected / 3) < 1e-5, "\(masked.loss) vs \(expected / 3)")
        #expect(masked.gradient.data[0..<(4 * v)].allSatisfy { $0 == 0 })
        #expect(masked.gradient.data[(7 * v)...].allSatisfy { $0 == 0 })
        // The gradient is the loss's: a finite difference on one response logit.
        var bumped = logits
        let index = 5 * v + tokens[6]
        bumped.data[index] += 1e-2
        let up = ResponseLoss.evaluate(logits: bumped, tokens: tokens, weights: ResponseLoss.weights(promptCount: 5, parts: [(3, 1)])).loss
        #expect(abs((up - masked.loss) / 1e-2 - Double(masked.gradient.data[index])) < 1e-3)
    }

    @Test func answersAreMatchedOnWordsAndChoicesByTheFirstNamed() {
        #expect(AnswerMatching.answer("\n  Positive!\nReview: next") == "Positive!")
        #expect(AnswerMatching.answer("It says good.\nAnswer: negative\n", afterAnswerMarker: true) == "negative")
        #expect(AnswerMatching.matches("Positive!", label: "positive", choices: nil))
        #expect(AnswerMatching.matches("it is very positive", label: "Very Positive", choices: nil))
        #expect(!AnswerMatching.matches("positively", label: "positive", choices: nil))
        let choices = ["positive", "negative"]
        #expect(AnswerMatching.choice("negative, not positive", among: choices) == 1)
        #expect(AnswerMatching.matches("negative, not positive", label: "negative", choices: choices))
        #expect(!AnswerMatching.matches("no idea", label: "negative", choices: choices))
        #expect(AnswerMatching.choice("not good", among: ["good", "not good"]) == 1, "a tie goes to the longer choice")
        #expect(AnswerMatching.agrees("POSITIVE", teacher: "positive.", choices: choices))
        #expect(!AnswerMatching.agrees("no idea", teacher: "no idea", choices: choices), "no choice agrees with nothing")
        #expect(AnswerMatching.agrees("the fox", teacher: "fox", choices: nil))
    }

    @Test func aChainOfThoughtResponseIsSplitAtItsLastAnswerLine() {
        let (r, a) = DecoderDistill.splitRationale("good means positive. Answer: maybe\nso\nAnswer: positive")
        #expect(r == "good means positive. Answer: maybe\nso\n" && a == "Answer: positive")
        #expect(DecoderDistill.splitRationale("positive") == ("", "positive"))
    }
}
