/// SHA-256 (FIPS 180-4), used to content-address model weights, datasets and tensor blobs.
///
///     SHA256.hex(bytes)                       // one shot
///     var h = SHA256.Hasher(); h.update(a); h.update(b); h.finalize()  // incremental
public enum SHA256 {
    /// The lowercase hex digest of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = Hasher()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Incremental hashing: feed bytes in any pieces, then finalize once.
    public struct Hasher: Sendable {
        private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
        private var buffer = [UInt8](repeating: 0, count: 64)
        private var buffered = 0
        private var length: UInt64 = 0  // bytes hashed so far

        public init() {}

        public mutating func update(_ bytes: some Sequence<UInt8>) {
            let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
            if done == nil {
                let array = Array(bytes)
                array.withUnsafeBytes { update($0) }
            }
        }

        public mutating func update(_ raw: UnsafeRawBufferPointer) {
            guard raw.count > 0 else { return }
            length &+= UInt64(raw.count)
            var offset = 0
            if buffered > 0 {
                let take = min(64 - buffered, raw.count)
                buffer.withUnsafeMutableBytes { b in
                    UnsafeMutableRawBufferPointer(rebasing: b[buffered..<(buffered + take)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<take]))
                }
                buffered += take
                offset = take
                if buffered < 64 { return }
                buffer.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
                buffered = 0
            }
            let blocks = (raw.count - offset) / 64
            if blocks > 0 {
                compress(blocks: raw.baseAddress! + offset, count: blocks)
                offset += blocks * 64
            }
            let rest = raw.count - offset
            if rest > 0 {
                buffer.withUnsafeMutableBytes { b in
                    b.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: rest)
                }
                buffered = rest
            }
        }

        /// The 32-byte digest. The hasher should not be updated afterwards.
        public mutating func finalize() -> [UInt8] {
            let bitLength = length &* 8
            var tail: [UInt8] = [0x80]
            let padZeros = (64 + 56 - (buffered + 1) % 64) % 64
            tail.append(contentsOf: repeatElement(0, count: padZeros))
            for k in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(k)))) }
            let savedLength = length
            tail.withUnsafeBytes { update($0) }
            length = savedLength
            precondition(buffered == 0)
            var out: [UInt8] = []
            out.reserveCapacity(32)
            for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
                out.append(contentsOf: [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                                        UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)])
            }
            return out
        }

        public mutating func finalizeHex() -> String {
            let digits = Array("0123456789abcdef".utf8)
            var chars: [UInt8] = []
            chars.reserveCapacity(64)
            for b in finalize() { chars.append(digits[Int(b >> 4)]); chars.append(digits[Int(b & 0xF)]) }
            return String(decoding: chars, as: UTF8.self)
        }

        private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
            var (h0, h1, h2, h3, h4, h5, h6, h7) = state
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                SHA256.k.withUnsafeBufferPointer { k in
                    for block in 0..<count {
                        let p = blocks + block * 64
                        for t in 0..<16 {
                            w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                        }
                        for t in 16..<64 {
                            let x = w[t - 15], y = w[t - 2]
                            let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                            let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                        }
                        var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                        for t in 0..<64 {
                            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                            let ch = (e & f) ^ (~e & g)
                            let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
                            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                            let maj = (a & b) ^ (a & c) ^ (b & c)
                            let t2 = s0 &+ maj
                            h = g; g = f; f = e; e = d &+ t1
                            d = c; c = b; b = a; a = t1 &+ t2
                        }
                        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                        h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                    }
                }
            }
            state = (h0, h1, h2, h3, h4, h5, h6, h7)
        }
    }

    @inline(__always)
    static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}
