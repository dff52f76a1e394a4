import Crypto

/// SHA-256 (FIPS 180-4), used to content-address model weights, datasets and tensor blobs:
/// Pare's spelling of swift-crypto's `Crypto.SHA256` (BoringSSL's assembly on Linux, CryptoKit
/// on Apple platforms), with hex digests as the store keeps them.
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
    /// Sendable by hand: swift-crypto's digest state is a copy-on-write value that 3.12 does not
    /// mark Sendable on Linux; a Hasher is never shared, only copied.
    public struct Hasher: @unchecked Sendable {
        private var inner = Crypto.SHA256()

        public init() {}

        public mutating func update(_ bytes: some Sequence<UInt8>) {
            let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
            if done == nil {
                let array = Array(bytes)
                array.withUnsafeBytes { update($0) }
            }
        }

        public mutating func update(_ raw: UnsafeRawBufferPointer) {
            inner.update(bufferPointer: raw)
        }

        /// The 32-byte digest. The hasher should not be updated afterwards.
        public mutating func finalize() -> [UInt8] { Array(inner.finalize()) }

        /// The lowercase hex digest.
        public mutating func finalizeHex() -> String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(64)
            for byte in finalize() { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
