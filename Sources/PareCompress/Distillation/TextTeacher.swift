import Foundation
import PareNN
import PareTensor

/// A teacher that answers prompts with text, for black-box distillation of language models:
///
/// - a command (`teacher_cmd="python3 teacher.py"`) speaking JSON lines: Pare writes one line
///   per prompt, `{"id": n, "prompt": "…"}`, and the command answers one line per prompt, in
///   order, `{"id": n, "text": "…"}` — run as the classifier teachers' `BlackBoxTeacher` runs
///   (no shell, `teacher_timeout`, a crash, hang, malformed line, wrong id or missing `text`
///   each one sentence naming the line);
/// - or Pare's own greedy generation with a decoder (the base model) and its tokenizer, at most
///   `maxNewTokens` tokens, stopping at the end-of-sequence token.
///
/// Answers are cached per teacher `identity` (the command as given, or `generate:` + the
/// model's hash + the token bound) by the hex SHA-256 of the prompt's UTF-8 bytes.
public struct TextTeacher: Sendable {
    public enum Source: Sendable {
        case command(BlackBoxTeacher)
        case generation(CausalDecoder, any Tokenizer, maxNewTokens: Int)
    }

    public let source: Source
    public let identity: String

    public init(command: String, timeout: Double) throws {
        source = .command(try BlackBoxTeacher(command: command, classes: 1, timeout: timeout))
        identity = command
    }

    public init(generating decoder: CausalDecoder, tokenizer: any Tokenizer, maxNewTokens: Int, modelHash: String) {
        source = .generation(decoder, tokenizer, maxNewTokens: maxNewTokens)
        identity = "generate:\(modelHash),max_new_tokens=\(maxNewTokens)"
    }

    public static func cacheKey(for prompt: String) -> String { SHA256.hex(Array(prompt.utf8)) }

    /// What `answers` found: every prompt's text, how many prompts the teacher was asked, and
    /// the fresh answers for the caller to put into the cache once it has checked them.
    public struct Answers: Sendable {
        public var texts: [String]
        public var queried: Int
        public var fresh: [(key: String, answer: TeacherAnswer)]
    }

    /// The teacher's text for every prompt (duplicates asked once): from `cache` where it has
    /// them, from the teacher (in one run of a command) otherwise.
    public func answers(for prompts: [String], cache: (any TeacherAnswerCache)?) throws -> Answers {
        var unique: [String] = []
        var seen: Set<String> = []
        for p in prompts where seen.insert(p).inserted { unique.append(p) }
        let keys = unique.map(Self.cacheKey)
        var found: [String: String] = [:]
        if let cache {
            for (key, answer) in zip(keys, cache.get(keys)) {
                if case .text(let t)? = answer { found[key] = t }
            }
        }
        let missing = unique.indices.filter { found[keys[$0]] == nil }
        var fresh: [(key: String, answer: TeacherAnswer)] = []
        if !missing.isEmpty {
            let texts = try ask(missing.map { unique[$0] })
            for (i, text) in zip(missing, texts) {
                found[keys[i]] = text
                fresh.append((key: keys[i], answer: .text(text)))
            }
        }
        return Answers(texts: prompts.map { found[Self.cacheKey(for: $0)]! }, queried: missing.count, fresh: fresh)
    }

    func ask(_ prompts: [String]) throws -> [String] {
        switch source {
        case .command(let teacher):
            let lines = prompts.enumerated().map { "{\"id\": \($0.offset), \"prompt\": \(TeacherAnswer.quoted($0.element))}\n" }
            return try teacher.exchange(lines: lines, ids: Array(prompts.indices)) { line, n, id in
                try Self.parseText(line, lineNumber: n, expectedID: id)
            }
        case .generation(let decoder, let tokenizer, let maxNewTokens):
            return try prompts.map { prompt in
                let ids = tokenizer.encode(prompt, addSpecialTokens: true, maxLength: nil)
                let out = try decoder.greedyContinuation(of: ids, maxNewTokens: maxNewTokens, stop: tokenizer.eosID)
                return tokenizer.decode(out, skipSpecialTokens: true)
            }
        }
    }

    /// One answer line `{"id": n, "text": "…"}`.
    static func parseText(_ line: String, lineNumber n: Int, expectedID: Int) throws -> String {
        let preview = line.count > 80 ? String(line.prefix(77)) + "..." : line
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TeacherError(.malformed, "teacher answer on line \(n) (prompt id \(expectedID)) is not a JSON object: \(preview)")
        }
        guard let rawID = object["id"] else {
            throw TeacherError(.missingField, "teacher answer on line \(n) has no \"id\" (expected id \(expectedID)).")
        }
        guard !(rawID is String), let id = (rawID as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }) else {
            throw TeacherError(.badValue, "teacher answer on line \(n) (prompt id \(expectedID)): \"id\" is not a whole number.")
        }
        guard id == expectedID else {
            throw TeacherError(.idMismatch, "teacher answer on line \(n) has id \(id) but id \(expectedID) was expected (answers must come in prompt order).")
        }
        guard let value = object["text"] else {
            throw TeacherError(.missingField, "teacher answer on line \(n) (id \(id)) has no \"text\"; a text teacher answers {\"id\": \(id), \"text\": \"…\"}.")
        }
        guard let text = value as? String else {
            throw TeacherError(.badValue, "teacher answer on line \(n) (id \(id)): \"text\" is not a string.")
        }
        return text
    }
}

extension CausalDecoder {
    /// The greedy continuation of `ids` (the most likely token each step, with the KV cache):
    /// at most `maxNewTokens` tokens and never past the model's positions, stopping before
    /// `stop` (the end-of-sequence token).
    public func greedyContinuation(of ids: [Int], maxNewTokens: Int, stop: Int?) throws -> [Int] {
        let budget = min(maxNewTokens, spec.maxPositions - ids.count)
        guard budget > 0, !ids.isEmpty else { return [] }
        var cache = makeCache(reservingPositions: ids.count + budget)
        var logits = try prefill(tokens: ids, cache: &cache)
        var out: [Int] = []
        for step in 0..<budget {
            let v = logits.columns, last = logits.rows - 1
            var best = 0
            logits.data.withUnsafeBufferPointer { row in
                for j in 1..<v where row[last * v + j] > row[last * v + best] { best = j }
            }
            if best == stop { break }
            out.append(best)
            if step + 1 < budget { logits = try decode(token: best, cache: &cache) }
        }
        return out
    }
}
