import Foundation
@testable import PareNN

/// Paths and readers shared by the tokenizer tests.
enum TokenizerFixtures {
    static func url(_ name: String) -> URL { Fixtures.url("tokenizers/\(name)") }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(name)))
    }

    /// The committed tiny BPE's vocabulary and merges, read here independently of the loader,
    /// so the neutral initializer (the GGUF reader's entry point) is tested on its own.
    static func tinyBPEParts() throws -> (vocab: [String], merges: [String], added: [AddedToken]) {
        let root = try json("bpe-tiny.tokenizer.json") as! [String: Any]
        let model = root["model"] as! [String: Any]
        let map = model["vocab"] as! [String: Int]
        var vocab = [String](repeating: "", count: map.count)
        for (k, v) in map { vocab[v] = k }
        let merges = (model["merges"] as! [[String]]).map { "\($0[0]) \($0[1])" }
        let added = (root["added_tokens"] as! [[String: Any]]).map {
            AddedToken(id: $0["id"] as! Int, content: $0["content"] as! String, isSpecial: $0["special"] as! Bool)
        }
        return (vocab, merges, added)
    }

    struct Case { let text: String; let ids: [Int]; let decoded: String; let pieces: Int }

    static func bpeCases(_ pipeline: String) throws -> [Case] {
        let all = try json("bpe-tiny.cases.json") as! [String: [[String: Any]]]
        return all[pipeline]!.map {
            Case(text: $0["text"] as! String, ids: $0["ids"] as! [Int], decoded: $0["decoded"] as! String, pieces: $0["pieces"] as! Int)
        }
    }
}

/// The real-model cache ($PARE_CACHE, default ~/.cache/pare) the fetch-models script fills.
enum PareCache {
    static let directory: URL = {
        if let p = ProcessInfo.processInfo.environment["PARE_CACHE"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pare")
    }()
    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }
    static func has(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative).path) }
}
