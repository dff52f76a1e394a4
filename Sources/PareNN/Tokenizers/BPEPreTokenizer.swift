/// How a byte-level BPE tokenizer cuts text into words before merging, each a hand-written
/// scanner equal to the model's regex (Swift Regex would be far slower on a whole novel):
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm`: every `\p{N}` scalar alone first (Hugging Face's Digits(individual_digits)),
///   then the GPT-2 split of the rest (llama.cpp's pre-tokenizer "smollm")
/// - `llama3`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// Every alternative set covers any scalar, so the pieces tile the text.
public enum BPEPreTokenizer: String, Sendable, CaseIterable {
    case gpt2, smollm, llama3

    /// The pre-tokenizer named by GGUF's `tokenizer.ggml.pre` (llama.cpp's names), or nil.
    public init?(ggufName: String) {
        switch ggufName {
        case "default", "gpt2", "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "llama3", "llama-v3", "llama-bpe": self = .llama3
        default: return nil
        }
    }

    /// The text's pieces (for tests and for `pare tokenize --pieces`).
    public func pieces(_ text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        let classes = scalars.map(ScalarClass.of)
        var ends: [Int] = []
        scalars.withUnsafeBufferPointer { s in
            classes.withUnsafeBufferPointer { c in split(s, c, 0, s.count, into: &ends) }
        }
        var out: [String] = []
        var start = 0
        for end in ends {
            var v = String.UnicodeScalarView()
            for i in start..<end { v.append(Unicode.Scalar(scalars[i])!) }  // from a String: valid
            out.append(String(v))
            start = end
        }
        return out
    }

    /// Appends the end index of each piece of `s[lo..<hi]` to `ends`.
    func split(_ s: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int,
               into ends: inout [Int]) {
        switch self {
        case .gpt2:
            var i = lo
            while i < hi { i = Self.gpt2Piece(s, c, i, hi); ends.append(i) }
        case .llama3:
            var i = lo
            while i < hi { i = Self.llama3Piece(s, c, i, hi); ends.append(i) }
        case .smollm:
            var runStart = lo
            for i in lo..<hi where c[i] == ScalarClass.number {
                var j = runStart
                while j < i { j = Self.gpt2Piece(s, c, j, i); ends.append(j) }
                ends.append(i + 1)
                runStart = i + 1
            }
            var j = runStart
            while j < hi { j = Self.gpt2Piece(s, c, j, hi); ends.append(j) }
        }
    }

    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// The length of a contraction (`'s`, `'re`, …) at `i`, or 0; `foldCase` for LLaMA-3's `(?i:…)`.
    @inline(__always)
    private static func contraction(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, _ hi: Int, foldCase: Bool) -> Int {
        guard s[i] == apostrophe, i + 1 < hi else { return 0 }
        @inline(__always) func lower(_ v: UInt32) -> UInt32 { foldCase && v >= 0x41 && v <= 0x5A ? v + 0x20 : v }
        let a = lower(s[i + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }  // s t m d
        guard i + 2 < hi else { return 0 }
        let b = lower(s[i + 2])
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }  // re ve ll
        return 0
    }

    @inline(__always)
    private static func run(_ c: UnsafeBufferPointer<UInt8>, from i: Int, _ hi: Int, of cls: UInt8) -> Int {
        var e = i
        while e < hi && c[e] == cls { e += 1 }
        return e
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: a run followed by text leaves its last scalar to
    /// start the next piece (so " word" keeps its space); a run at the end is taken whole.
    @inline(__always)
    private static func whitespace(_ c: UnsafeBufferPointer<UInt8>, _ i: Int, _ hi: Int) -> Int {
        let e = run(c, from: i, hi, of: ScalarClass.space)
        if e == hi { return hi }
        return e - i >= 2 ? e - 1 : i + 1
    }

    static func gpt2Piece(_ s: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>, _ i: Int, _ hi: Int) -> Int {
        let k = contraction(s, i, hi, foldCase: false)
        if k > 0 { return i + k }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then one class's run.
        var j = i
        if s[i] == space && i + 1 < hi && c[i + 1] != ScalarClass.space { j = i + 1 }
        let cls = c[j]
        if cls != ScalarClass.space { return run(c, from: j, hi, of: cls) }
        return whitespace(c, i, hi)
    }

    static func llama3Piece(_ s: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>, _ i: Int, _ hi: Int) -> Int {
        let k = contraction(s, i, hi, foldCase: true)
        if k > 0 { return i + k }
        let ci = c[i], si = s[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if ci == ScalarClass.letter { return run(c, from: i, hi, of: ScalarClass.letter) }
        if ci != ScalarClass.number && si != cr && si != lf && i + 1 < hi && c[i + 1] == ScalarClass.letter {
            return run(c, from: i + 1, hi, of: ScalarClass.letter)
        }
        // `\p{N}{1,3}`
        if ci == ScalarClass.number {
            var e = i + 1
            while e < hi && e < i + 3 && c[e] == ScalarClass.number { e += 1 }
            return e
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if si == space && i + 1 < hi && c[i + 1] == ScalarClass.other { j = i + 1 }
        if c[j] == ScalarClass.other {
            var e = run(c, from: j, hi, of: ScalarClass.other)
            while e < hi && (s[e] == cr || s[e] == lf) { e += 1 }
            return e
        }
        // `\s*[\r\n]+`: the whitespace run up to and including its last line break.
        let e = run(c, from: i, hi, of: ScalarClass.space)
        var p = e - 1
        while p >= i && s[p] != cr && s[p] != lf { p -= 1 }
        if p >= i { return p + 1 }
        return whitespace(c, i, hi)
    }
}
