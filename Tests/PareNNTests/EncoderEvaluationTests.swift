import Foundation
import Testing
@testable import PareNN

@Suite struct EncoderEvaluationTests {
    /// Words to ids 5… by a fixed table (bert_tiny has 50), [CLS] = 1 and [SEP] = 2 around them.
    struct WordTokenizer: Tokenizer {
        var vocabularySize: Int { 50 }
        var bosID: Int? { nil }
        var eosID: Int? { nil }
        var padID: Int? { 0 }
        var unknownID: Int? { 3 }
        var template: SpecialTokenTemplate { SpecialTokenTemplate(prefix: [1], suffix: [2]) }
        func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int] {
            let body = text.split(separator: " ").map { w in 5 + Int(w.unicodeScalars.reduce(0) { $0 &* 31 &+ $1.value } % 45) }
            return template.apply(body, addSpecialTokens: addSpecialTokens, maxLength: maxLength)
        }
        func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String { "" }
        func token(for id: Int) -> String? { nil }
        func id(for token: String) -> Int? { nil }
    }

    static let texts = ["a man is eating food", "a man is eating a piece of bread", "the girl is carrying a baby",
                        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
                        "", "a"]

    @Test func embeddingsEqualOneSentenceAtATimeInAnyBatching() throws {
        let model = try TransformerFixtures.bert()
        let t = WordTokenizer()
        var seen: [Double] = []
        let batched = try EncoderEvaluation.embeddings(model: model, tokenizer: t, texts: Self.texts, batch: 4) { f, _ in seen.append(f) }
        #expect(seen == [4.0 / 6, 1])
        for (text, e) in zip(Self.texts, batched) {
            // Special tokens added, cut to the model's 16 positions (the long text has 16 words).
            let ids = t.encode(text, addSpecialTokens: true, maxLength: 16)
            #expect(ids.count <= 16 && ids.first == 1 && ids.last == 2)
            let one = try model.sentenceEmbedding(tokens: ids)
            #expect(relativeError(e, one) < 1e-5)
        }
        let short = try EncoderEvaluation.embeddings(model: model, tokenizer: t, texts: [Self.texts[3]], maxLength: 5)
        #expect(relativeError(short[0], try model.sentenceEmbedding(tokens: t.encode(Self.texts[3], addSpecialTokens: true, maxLength: 5))) < 1e-6)
    }

    @Test func cosineByHand() {
        #expect(abs(EncoderEvaluation.embeddingCosine([[1, 0], [0, 2]], [[1, 0], [0, 5]]) - 1) < 1e-12)
        // cos = 0 and cos = 3/5 (the vectors (3,4) and (1,0)): mean 0.3.
        #expect(abs(EncoderEvaluation.embeddingCosine([[1, 0], [3, 4]], [[0, 1], [1, 0]]) - 0.3) < 1e-12)
        #expect(EncoderEvaluation.embeddingCosine([[0, 0]], [[1, 0]]) == 0)
        #expect(abs(EncoderEvaluation.embeddingCosine([[1, 2]], [[-1, -2]]) + 1) < 1e-12)
    }
}
