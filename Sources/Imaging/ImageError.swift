/// Errors of the imaging layer: reading, decoding and writing image files.
///
/// Every case names the file (or the name the caller gave to in-memory data) so a message on its
/// own says which input was bad.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The bytes are neither JPEG nor PNG (the message never quotes them: the file may be
    /// anything, e.g. a link to a private file); `byteCount` is the data's size.
    case unknownFormat(path: String, byteCount: Int)
    /// The decoder reported corrupt data (parts of the picture would be grey); `warnings` are
    /// the decoder's. `ImageReadOptions.allowDamaged` accepts such files.
    case damaged(path: String, format: String, warnings: [String])
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
        case let .unknownFormat(path, byteCount):
            return byteCount == 0 ? "\(path): not a JPEG or PNG image: the file is empty"
                : "\(path): not a JPEG or PNG image: its first bytes match neither signature (\(byteCount) bytes)"
        case let .damaged(path, format, warnings):
            return "\(path): damaged \(format): \(warnings.first ?? "corrupt data")"
                + (warnings.count > 1 ? " (and \(warnings.count - 1) more warnings)" : "")
                + "; --allow-damaged-images accepts it"
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
}
