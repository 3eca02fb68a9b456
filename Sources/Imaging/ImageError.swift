import KeypointsSupport

/// Errors of the imaging layer: reading, decoding and writing image files.
///
/// Every case names the file (or the name the caller gave to in-memory data) so a message on its
/// own says which input was bad.
public enum ImageError: RawMessageError, Equatable, Sendable {
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

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read image file \(path): \(reason)"
        case .unknownFormat(let path, let byteCount):
            return byteCount == 0
                ? "\(path): not a JPEG or PNG image: the file is empty"
                : "\(path): not a JPEG or PNG image: its first bytes match neither signature (\(byteCount) bytes)"
        case .damaged(let path, let format, let warnings):
            return "\(path): damaged \(format): \(warnings.first ?? "corrupt data")"
                + (warnings.count > 1 ? " (and \(warnings.count - 1) more warnings)" : "")
                + "; --allow-damaged-images accepts it"
        case .decodeFailed(let path, let format, let message):
            return "\(path): cannot decode \(format): \(message)"
        case .tooLarge(let path, let format, let message):
            return "\(path): \(format) refused: \(message)"
        case .unsupported(let path, let format, let what):
            return "\(path): unsupported \(format): \(what)"
        case .encodeFailed(let message):
            return "cannot encode PNG: \(message)"
        case .writeFailed(let path, let reason):
            return "cannot write image file \(path): \(reason)"
        }
    }
}
