/// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): a fixed, documented
/// hash of short strings, used to derive per-key seeds (synthetic weights, random baseline) that
/// do not depend on the platform or Swift version (`Hasher` is randomly seeded per process).
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The hash of `bytes`.
    public static func hash64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var h = offsetBasis
        for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
        return h
    }

    /// The hash of the UTF-8 bytes of `text`.
    public static func hash64(_ text: String) -> UInt64 { hash64(text.utf8) }
}
