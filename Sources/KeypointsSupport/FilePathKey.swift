import Foundation

/// A file's identity for matching photos across runs and inputs (`localize --out` records,
/// `--boxes` rows, a photo given twice): its absolute, standardized path (a relative path is
/// resolved from the working directory; `.` and `..` removed), compared byte for byte.
///
/// Byte comparison matters: Swift `String` equality is canonical equivalence, so `café.jpg`
/// written with a precomposed é (NFC) and with e + combining accent (NFD), two different files
/// on Linux, would compare equal.
public struct FilePathKey: Hashable, Sendable, CustomStringConvertible {
    /// The absolute, standardized path.
    public let path: String
    private let bytes: [UInt8]

    public init(_ path: String) {
        self.init(url: URL(fileURLWithPath: path))
    }

    public init(url: URL) {
        let absolute = url.standardizedFileURL.path
        self.path = absolute
        self.bytes = Array(absolute.utf8)
    }

    public static func == (a: FilePathKey, b: FilePathKey) -> Bool { a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public var description: String { path }
}
