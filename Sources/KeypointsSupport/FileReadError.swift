/// A file that could not be opened or read; `message` says which step failed and why
/// (`cannot open for reading: ...`, `read failed: ...`).
public struct FileReadError: RawMessageError, Equatable, Sendable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, as it is (display-safe in `description`): the path and the reason are
    /// outside text.
    public var rawMessage: String { "\(path): \(message)" }
}
