import KeypointsSupport

/// Errors loading a keypoint vocabulary (keypoints/*.json) or building prompts from it.
public enum KeypointVocabularyError: RawMessageError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A field is missing or invalid, or the JSON is malformed (field "(JSON syntax)").
    case invalidField(file: String, field: String, message: String)
    /// No category of that name; `known` lists the file's categories.
    case unknownCategory(file: String, name: String, known: [String])
    /// No keypoint of that name in the category; `known` lists its keypoints.
    case unknownKeypoint(file: String, category: String, name: String, known: [String])
    /// A free-text template that cannot be used.
    case badTemplate(template: String, message: String)
    /// More templates than `LocalizationLimits.promptsPerKeypoint` (`--template` given too often).
    case tooManyTemplates(count: Int, limit: Int)
    /// An empty free-text keypoint.
    case emptyKeypoint(index: Int)
    /// One keypoint asked for twice (names compared ignoring case): its answer would be
    /// reported twice and its files written twice. `first`, `second`: 1-based places in the list.
    case repeatedKeypoint(name: String, first: Int, second: Int)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read keypoint vocabulary: \(reason)"
        case .invalidField(let file, let field, let message):
            return "\(file): \(field): \(message)"
        case .unknownCategory(let file, let name, let known):
            return "\(file): unknown category \"\(name)\" (known: \(known.joined(separator: ", ")))"
        case .unknownKeypoint(let file, let category, let name, let known):
            return
                "\(file): category \"\(category)\" has no keypoint \"\(name)\" (known: \(known.joined(separator: ", ")))"
        case .badTemplate(let template, let message):
            return "template \"\(template)\": \(message)"
        case .tooManyTemplates(let count, let limit):
            return "\(count) templates, over the limit LocalizationLimits.promptsPerKeypoint = \(limit)"
        case .emptyKeypoint(let index):
            return "keypoint \(index): expected a non-empty text"
        case .repeatedKeypoint(let name, let first, let second):
            return "keypoint \"\(name)\" is asked for twice (keypoints \(first) and \(second)); give each keypoint once"
        }
    }

    /// The field path of an `invalidField` error, for tests and tools.
    public var field: String? {
        if case .invalidField(_, let field, _) = self { return field }
        return nil
    }
}
