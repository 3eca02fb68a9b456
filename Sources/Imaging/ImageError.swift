/// Errors of the imaging layer: reading, decoding and writing image files.
///
/// Every case names the file (or the name the caller gave to in-memory data) so a message on its
/// own says which input was bad.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The bytes are neither JPEG nor PNG; `firstBytes` are the first few bytes of the data.
    case unknownFormat(path: String, firstBytes: [UInt8])
    /// libjpeg or libpng rejected the data (corrupt or truncated file); `message` is the library's.
    case decodeFailed(path: String, format: String, message: String)
    /// The image is larger than the decoder accepts (checked before allocating pixels).
    case tooLarge(path: String, format: String, message: String)
    /// A valid file of a kind this module does not convert.
    case unsupported(path: String, format: String, what: String)
    /// PNG encoding failed in libpng.
    case encodeFailed(message: String)
    /// The encoded image could not be written (or moved into place).
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read image file \(path): \(reason)"
        case let .unknownFormat(path, firstBytes):
            return "\(path): not a JPEG or PNG image: first bytes \(Self.describe(firstBytes))"
        case let .decodeFailed(path, format, message):
            return "\(path): cannot decode \(format): \(message)"
        case let .tooLarge(path, format, message):
            return "\(path): \(format) refused: \(message)"
        case let .unsupported(path, format, what):
            return "\(path): unsupported \(format): \(what)"
        case let .encodeFailed(message):
            return "cannot encode PNG: \(message)"
        case let .writeFailed(path, reason):
            return "cannot write image file \(path): \(reason)"
        }
    }

    /// Hex bytes plus their printable ASCII, e.g. `68 65 6c 6c 6f ("hello")`.
    static func describe(_ bytes: [UInt8]) -> String {
        if bytes.isEmpty { return "(empty file)" }
        let hex = bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: " ")
        let ascii = String(bytes.map { (0x20...0x7e).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return "\(hex) (\"\(ascii)\")"
    }
}
