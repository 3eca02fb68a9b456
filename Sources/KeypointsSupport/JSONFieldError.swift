/// A field-level problem found while reading a JSON file: the file (when the reader knew it),
/// the field path (`stages[1].grid`, `annotations[3].bbox`) and what was expected against what
/// was found. Each module turns it into its own error type, which names the file.
public struct JSONFieldError: RawMessageError, Equatable, Sendable {
    /// The file, as the reader named it (`JSONNode.parse(_:file:)`); nil for bytes without a file.
    public var file: String?
    /// The field path; "(top level)" for the document itself, "(JSON syntax)" for malformed text.
    public var field: String
    public var message: String

    public init(file: String? = nil, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    /// `file: field: message`, or `field: message` without a file, as it is (display-safe in
    /// `description`): field names and values come from the file.
    public var rawMessage: String { (file.map { "\($0): " } ?? "") + "\(field): \(message)" }
}

/// Renders a decoder coding path as `stages[1].grid`.
public func jsonFieldPath(_ codingPath: [CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if let i = key.intValue {
            out += "[\(i)]"
        } else {
            out = jsonFieldPath(out, key.stringValue)
        }
    }
    return out
}

/// Joins a parent path and a child key.
public func jsonFieldPath(_ parent: String, _ key: String) -> String {
    parent.isEmpty ? key : parent + "." + key
}
