import KeypointsSupport

/// Errors loading or validating a grid preset (grids/*.json). Every case names the file.
public enum GridPresetError: RawMessageError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A field is missing, has the wrong type or an out-of-range value, or the JSON is malformed
    /// (field "(JSON syntax)"). `field` is a path such as `stages[1].grid`.
    case invalidField(file: String, field: String, message: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read grid preset: \(reason)"
        case .invalidField(let file, let field, let message):
            return "\(file): \(field): \(message)"
        }
    }

    /// The field path of an `invalidField` error, for tests and tools.
    public var field: String? {
        if case .invalidField(_, let field, _) = self { return field }
        return nil
    }
}
