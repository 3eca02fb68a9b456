/// An error whose message quotes outside text (paths, keys, names, another error's message).
/// It has two forms: `rawMessage`, the text as it is, for data files (results records, JSON,
/// CSV), which keep text as data; and `description`, the same text display-safe
/// (`displaySafe`), for errors, warnings and tables on a terminal. Every module's error type
/// conforms, so a caller that writes a message into a file asks for `rawMessage(of:)`.
public protocol RawMessageError: Error, CustomStringConvertible {
    /// The message with its outside text unchanged. Never printed as it is: a name may hold an
    /// ESC sequence or a line feed.
    var rawMessage: String { get }
}

extension RawMessageError {
    /// `rawMessage` display-safe (`displaySafe`): what a terminal is shown.
    public var description: String { rawMessage.displaySafe }
}

/// The message of `error` with its outside text unchanged, for a data file: `rawMessage` for a
/// `RawMessageError`, otherwise `String(describing:)` (Foundation's and the standard library's
/// errors, which do not escape).
public func rawMessage(of error: any Error) -> String {
    (error as? any RawMessageError)?.rawMessage ?? String(describing: error)
}
