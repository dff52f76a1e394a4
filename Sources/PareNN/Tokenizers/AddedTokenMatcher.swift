/// Finds added/special tokens in text before any other step, leftmost first and the longest
/// where several start at one place (Hugging Face's leftmost-longest added-token matching).
struct AddedTokenMatcher: Sendable {
    private let tokens: [(scalars: [UInt32], id: Int)]  // longest first
    private let firstScalars: Set<UInt32>

    init(_ added: [AddedToken]) {
        tokens = added.filter { !$0.content.isEmpty }
            .map { (Array($0.content.unicodeScalars.map(\.value)), $0.id) }
            .sorted { $0.scalars.count > $1.scalars.count }
        firstScalars = Set(tokens.map { $0.scalars[0] })
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Calls `text(range)` for each stretch of ordinary text and `token(id)` for each match, in order.
    func split(_ s: UnsafeBufferPointer<UInt32>, text: (Range<Int>) -> Void, token: (Int) -> Void) {
        var start = 0, i = 0
        outer: while i < s.count {
            if firstScalars.contains(s[i]) {
                for t in tokens where t.scalars.count <= s.count - i {
                    var k = 0
                    while k < t.scalars.count && s[i + k] == t.scalars[k] { k += 1 }
                    if k == t.scalars.count {
                        if start < i { text(start..<i) }
                        token(t.id)
                        i += k
                        start = i
                        continue outer
                    }
                }
            }
            i += 1
        }
        if start < s.count { text(start..<s.count) }
    }
}
