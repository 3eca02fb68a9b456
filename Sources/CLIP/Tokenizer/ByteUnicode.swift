// Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (bytes_to_unicode)

/// OpenAI's reversible byte <-> character table: BPE runs on strings of these 256 characters so the
/// merges file never contains whitespace or control characters.
///
/// Printable Latin-1 bytes ('!'...'~', '¡'...'¬', '®'...'ÿ') map to themselves; the other 68 bytes
/// map to U+0100, U+0101, ... in byte order.
enum ByteUnicode {
    /// `scalars[b]`: the character for byte `b`.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (byte, scalar) in vocabularyOrder { table[Int(byte)] = scalar }
        return table
    }()

    /// The (byte, character) pairs in the order of Python's `bytes_to_unicode()` dict, which is the
    /// order of the first 256 vocabulary entries: the printable bytes first, then the rest.
    static let vocabularyOrder: [(byte: UInt8, scalar: Unicode.Scalar)] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var pairs = printable.map { (byte: UInt8($0), scalar: Unicode.Scalar(UInt8($0))) }
        let isPrintable = Set(printable)
        var next: UInt32 = 256
        for byte in 0..<256 where !isPrintable.contains(byte) {
            // 256 + n for n < 68 is always a valid scalar (U+0100...U+0143).
            pairs.append((byte: UInt8(byte), scalar: Unicode.Scalar(next) ?? " "))
            next += 1
        }
        return pairs
    }()

    /// Character -> byte, the inverse of `scalars`.
    static let bytes: [Unicode.Scalar: UInt8] = {
        var table: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in vocabularyOrder { table[scalar] = byte }
        return table
    }()

    /// The byte-level string of UTF-8 bytes, e.g. "é" (C3 A9) -> "Ã©".
    static func encode(_ utf8: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in utf8 { view.append(scalars[Int(byte)]) }
        return String(view)
    }
}
