/// Byte-level BPE (GPT-2, LLaMA-3, SmolLM2): text → UTF-8 bytes → GPT-2's byte alphabet →
/// pre-tokenizer pieces → merges applied by rank within each piece. Built from neutral data so
/// both a GGUF reader and the tokenizer.json loader feed it.
public struct BPETokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosID: Int?
    public let eosID: Int?
    public let padID: Int?
    public let unknownID: Int?
    public let template: SpecialTokenTemplate
    public let preTokenizer: BPEPreTokenizer
    /// LLaMA-3's models look a whole piece up in the vocabulary before merging it.
    public let ignoreMerges: Bool
    public let addedTokens: [AddedToken]

    private let vocab: [String]
    private let idForToken: [String: Int]
    /// Each token's bytes, for decoding (added tokens: their content's UTF-8).
    private let tokenBytes: [[UInt8]]
    private let specialIDs: Set<Int>
    /// The id of each byte's single-symbol token, or -1.
    private let byteIDs: [Int32]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let merges: [UInt64: UInt64]
    private let matcher: AddedTokenMatcher

    /// - Parameters:
    ///   - vocab: token strings in GPT-2's byte alphabet, the index is the id.
    ///   - merges: "left right" pairs of vocabulary tokens, the index is the rank (lower merges first).
    ///   - addedTokens: tokens matched whole in the raw text (their ids must be in `vocab`).
    ///   - addBOS / addEOS: what `encode(_:)` puts around the text (GGUF `add_bos_token`).
    ///   - source: names the origin in error messages (a path, or "GGUF metadata").
    public init(vocab: [String], merges: [String], preTokenizer: BPEPreTokenizer,
                bosID: Int? = nil, eosID: Int? = nil, padID: Int? = nil, unknownID: Int? = nil,
                addBOS: Bool = false, addEOS: Bool = false, addedTokens: [AddedToken] = [],
                ignoreMerges: Bool? = nil, source: String = "tokenizer") throws(TokenizerError) {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            // Split at the first space after the first character, as llama.cpp does, so a
            // token may itself begin with a space in a non-byte-level vocabulary.
            let scalars = merge.unicodeScalars
            guard !scalars.isEmpty, let space = scalars.dropFirst().firstIndex(of: " ") else {
                throw .badMerge(source: source, merge: merge, index: index)
            }
            let left = String(scalars[scalars.startIndex..<space])
            let right = String(scalars[scalars.index(after: space)...])
            if right.isEmpty { throw .badMerge(source: source, merge: merge, index: index) }
            pairs.append((left, right))
        }
        let template = SpecialTokenTemplate(prefix: addBOS ? bosID.map { [$0] } ?? [] : [],
                                            suffix: addEOS ? eosID.map { [$0] } ?? [] : [])
        try self.init(vocab: vocab, mergePairs: pairs, preTokenizer: preTokenizer, bosID: bosID, eosID: eosID,
                      padID: padID, unknownID: unknownID, template: template, addedTokens: addedTokens,
                      ignoreMerges: ignoreMerges ?? (preTokenizer == .llama3), source: source)
    }

    /// The designated initializer: merges already split into pairs (tokenizer.json's newer form).
    public init(vocab: [String], mergePairs: [(String, String)], preTokenizer: BPEPreTokenizer,
                bosID: Int?, eosID: Int?, padID: Int?, unknownID: Int?, template: SpecialTokenTemplate,
                addedTokens: [AddedToken], ignoreMerges: Bool, source: String) throws(TokenizerError) {
        guard !vocab.isEmpty else { throw .emptyVocabulary(source: source) }
        for (what, id) in [("BOS token", bosID), ("EOS token", eosID), ("padding token", padID), ("unknown token", unknownID)]
        where id.map({ !(0..<vocab.count).contains($0) }) ?? false {
            throw .badTokenID(source: source, what: what, id: id!, vocabularySize: vocab.count)
        }
        for id in template.prefix + template.suffix where !(0..<vocab.count).contains(id) {
            throw .badTokenID(source: source, what: "post-processor token", id: id, vocabularySize: vocab.count)
        }
        for t in addedTokens where !(0..<vocab.count).contains(t.id) {
            throw .badTokenID(source: source, what: "added token '\(t.content)'", id: t.id, vocabularySize: vocab.count)
        }
        var idForToken: [String: Int] = [:]
        idForToken.reserveCapacity(vocab.count)
        for (id, token) in vocab.enumerated() where idForToken[token] == nil { idForToken[token] = id }

        var byteIDs = [Int32](repeating: -1, count: 256)
        var missing = 0
        for b in 0..<256 {
            if let id = idForToken[String(ByteLevelTable.scalarForByte[b])] { byteIDs[b] = Int32(id) } else { missing += 1 }
        }
        // Real vocabularies may lack a few (SmolLM2 has no token for 21 bytes, such as 0xF7, that
        // valid UTF-8 text never or hardly holds): those bytes are dropped, as llama.cpp and
        // Hugging Face (without an unknown token) do. Most missing means no byte-level vocabulary.
        if missing > 128 { throw .missingByteSymbols(source: source, count: missing) }

        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (left, right)) in mergePairs.enumerated() {
            guard let a = idForToken[left], let b = idForToken[right], let m = idForToken[left + right] else {
                throw .unknownMergeToken(source: source, merge: "\(left) \(right)", index: rank)
            }
            let key = UInt64(a) << 32 | UInt64(b)
            if merges[key] == nil { merges[key] = UInt64(rank) << 32 | UInt64(m) }
        }

        let addedIDs = Set(addedTokens.map(\.id))
        self.tokenBytes = vocab.enumerated().map { id, token in
            if addedIDs.contains(id) { return Array(token.utf8) }
            var bytes: [UInt8] = []
            for s in token.unicodeScalars {
                if let b = ByteLevelTable.byte(for: s) { bytes.append(b) } else { bytes.append(contentsOf: String(s).utf8) }
            }
            return bytes
        }
        var addedContent = addedTokens
        for i in addedContent.indices { addedContent[i].content = addedContent[i].content.isEmpty ? vocab[addedContent[i].id] : addedContent[i].content }
        self.vocab = vocab
        self.vocabularySize = vocab.count
        self.idForToken = idForToken
        self.byteIDs = byteIDs
        self.merges = merges
        self.bosID = bosID; self.eosID = eosID; self.padID = padID; self.unknownID = unknownID
        self.template = template
        self.preTokenizer = preTokenizer
        self.ignoreMerges = ignoreMerges
        self.addedTokens = addedContent
        self.specialIDs = Set(addedContent.filter(\.isSpecial).map(\.id))
        self.matcher = AddedTokenMatcher(addedContent)
    }

    public func token(for id: Int) -> String? { vocab.indices.contains(id) ? vocab[id] : nil }
    public func id(for token: String) -> Int? { idForToken[token] }

    // MARK: Encoding

    public func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int] {
        template.apply(encodeBody(text), addSpecialTokens: addSpecialTokens, maxLength: maxLength)
    }

    private func encodeBody(_ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        var scalars: [UInt32] = [], offsets: [Int] = []  // offsets[i]: byte offset of scalar i
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var offset = 0
        for s in text.unicodeScalars {
            scalars.append(s.value)
            offsets.append(offset)
            offset += s.value < 0x80 ? 1 : s.value < 0x800 ? 2 : s.value < 0x10000 ? 3 : 4
        }
        offsets.append(offset)
        let classes = scalars.map(ScalarClass.of)

        var out: [Int] = []
        out.reserveCapacity(bytes.count / 3)
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        var ends: [Int] = []
        var work = MergeWork()
        scalars.withUnsafeBufferPointer { s in
            classes.withUnsafeBufferPointer { c in
                matcher.split(s, text: { range in
                    ends.removeAll(keepingCapacity: true)
                    preTokenizer.split(s, c, range.lowerBound, range.upperBound, into: &ends)
                    var start = range.lowerBound
                    for end in ends {
                        let piece = bytes[offsets[start]..<offsets[end]]
                        start = end
                        if let ids = cache[piece] { for id in ids { out.append(Int(id)) }; continue }
                        let ids = encodePiece(piece, &work)
                        cache[piece] = ids
                        for id in ids { out.append(Int(id)) }
                    }
                }, token: { out.append($0) })
            }
        }
        return out
    }

    /// One pre-tokenizer piece: its bytes as byte-symbol ids, merged by rank.
    func encodePiece(_ piece: ArraySlice<UInt8>, _ work: inout MergeWork) -> [Int32] {
        if ignoreMerges, let id = idForToken[ByteLevelTable.encode(piece)] { return [Int32(id)] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        for b in piece {
            let id = byteIDs[Int(b)]
            if id >= 0 { symbols.append(id) }  // a byte with no token is dropped, as llama.cpp does
        }
        if symbols.count < 2 { return symbols }
        return symbols.count <= 48 ? mergeByScan(symbols) : mergeByHeap(symbols, &work)
    }

    @inline(__always)
    private func lookup(_ a: Int32, _ b: Int32) -> UInt64? { merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))] }

    /// Short pieces: repeatedly merge the lowest-ranked adjacent pair (leftmost on ties). O(n²)
    /// but n is a word's length, and it beats a heap there.
    func mergeByScan(_ input: [Int32]) -> [Int32] {
        var s = input
        while s.count > 1 {
            var best = UInt64.max, at = -1
            for i in 0..<(s.count - 1) {
                if let m = lookup(s[i], s[i + 1]), m < best { best = m; at = i }
            }
            if at < 0 { break }
            s[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            s.remove(at: at + 1)
        }
        return s
    }

    /// Reusable buffers for `mergeByHeap`.
    struct MergeWork {
        var symbol: [Int32] = [], prev: [Int] = [], next: [Int] = []
        var heap: [(key: UInt64, pos: Int, left: Int32, right: Int32)] = []
    }

    /// Long pieces (a run of thousands of letters): a linked list of symbols and a min-heap of
    /// candidate merges ordered by (rank, position), stale entries skipped when popped, as
    /// Hugging Face's BPE does. O(n log n); the same result as `mergeByScan`.
    func mergeByHeap(_ input: [Int32], _ w: inout MergeWork) -> [Int32] {
        let n = input.count
        w.symbol = input
        w.prev = Array(-1..<(n - 1))
        w.next = Array(1...n); w.next[n - 1] = -1
        w.heap.removeAll(keepingCapacity: true)
        func less(_ x: (key: UInt64, pos: Int, left: Int32, right: Int32), _ y: (key: UInt64, pos: Int, left: Int32, right: Int32)) -> Bool {
            // Rank is the key's high half; the merged id in the low half never decides, position does.
            let rx = x.key >> 32, ry = y.key >> 32
            return rx != ry ? rx < ry : x.pos < y.pos
        }
        func push(_ e: (key: UInt64, pos: Int, left: Int32, right: Int32)) {
            w.heap.append(e)
            var i = w.heap.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if !less(w.heap[i], w.heap[p]) { break }
                w.heap.swapAt(i, p); i = p
            }
        }
        func pop() -> (key: UInt64, pos: Int, left: Int32, right: Int32) {
            let top = w.heap[0]
            let last = w.heap.removeLast()
            if !w.heap.isEmpty {
                w.heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < w.heap.count && less(w.heap[l], w.heap[m]) { m = l }
                    if r < w.heap.count && less(w.heap[r], w.heap[m]) { m = r }
                    if m == i { break }
                    w.heap.swapAt(i, m); i = m
                }
            }
            return top
        }
        for i in 0..<(n - 1) {
            if let m = lookup(input[i], input[i + 1]) { push((m, i, input[i], input[i + 1])) }
        }
        while !w.heap.isEmpty {
            let e = pop()
            let j = w.next[e.pos]
            // Stale: the left symbol was merged away or changed, or its right neighbour changed.
            guard j >= 0, w.symbol[e.pos] == e.left, w.symbol[j] == e.right else { continue }
            let merged = Int32(truncatingIfNeeded: e.key & 0xFFFF_FFFF)
            w.symbol[e.pos] = merged
            w.symbol[j] = -1
            let k = w.next[j]
            w.next[e.pos] = k
            if k >= 0 { w.prev[k] = e.pos }
            let p = w.prev[e.pos]
            if p >= 0, let m = lookup(w.symbol[p], merged) { push((m, p, w.symbol[p], merged)) }
            if k >= 0, let m = lookup(merged, w.symbol[k]) { push((m, e.pos, merged, w.symbol[k])) }
        }
        var out: [Int32] = []
        var i = 0
        while i >= 0 { out.append(w.symbol[i]); i = w.next[i] }
        return out
    }

    // MARK: Decoding

    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard tokenBytes.indices.contains(id) else { bytes.append(contentsOf: [0xEF, 0xBF, 0xBD]); continue }
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            bytes.append(contentsOf: tokenBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
